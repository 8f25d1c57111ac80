/**
 * An HTTP/2 client request sent to an HTTP/1.1 backend. Browsers speak h2 to the gateway, most
 * apps speak HTTP/1.1, and the proxy's own paths never translate (a sidecar's app picks its
 * protocol). So a gateway request arriving on h2 whose backend is not HTTP/2 (its destination
 * says HTTP, or it is outside the mesh and the route is not gRPC) goes through the HTTP/1
 * attempts and pool, with this adapter standing in for the client connection: the request
 * head is built from the h2 headers, the body is framed as HTTP/1 (length or chunked), and the
 * response head, body and end go back on the h2 stream. Retries, timeouts and balancing are
 * the traffic layer's, as for any request.
 */
import {
  constants,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
  type ServerHttp2Stream,
} from 'node:http2';
import type { Socket } from 'node:net';
import type { WeftError } from '@weft/core';
import type { AttemptClient } from '../http1/attempts.js';
import type { BodyTarget } from '../http1/body-target.js';
import type { ClientConnection, Http1ConnectionInfo } from '../http1/client-connection.js';
import { CHUNKED, type Framing, type MessageHead, NO_BODY } from '../http1/head-parser.js';
import type { Http1Pool } from '../http1/pool.js';
import type { ClientBodyMode } from '../http1/serialize.js';
import type { H2Request } from '../http2/h2-request.js';
import { H2_HOP_BY_HOP } from '../http2/hop-by-hop.js';
import type { ExchangeTelemetry } from '../layers/types.js';

/** Request headers that are HTTP/2 connection-specific or regenerated from the framing. */
const NOT_FORWARDED = new Set([...H2_HOP_BY_HOP, 'te', 'host', 'content-length']);
/** Response headers HTTP/2 forbids (RFC 9113 section 8.2.2). */
const NOT_RELAYED = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);
const CRLF = Buffer.from('\r\n');
const LAST_CHUNK = Buffer.from('0\r\n\r\n');

/** The HTTP/1.1 request head for h2 `headers` (pseudo-headers become the request line and Host). */
export function http1HeadFor(
  headers: IncomingHttpHeaders | OutgoingHttpHeaders,
  bodyless: boolean,
): MessageHead {
  const list: string[] = [];
  const authority = String(headers[':authority'] ?? headers.host ?? '');
  list.push('host', authority);
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith(':') || NOT_FORWARDED.has(name) || value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) list.push(name, String(v));
    else list.push(name, String(value));
  }
  const declared = headers['content-length'];
  const length = typeof declared === 'string' && /^\d{1,15}$/.test(declared) ? Number(declared) : -1;
  const framing: Framing = bodyless ? NO_BODY : length >= 0 ? { kind: 'length', length } : CHUNKED;
  return {
    method: String(headers[':method'] ?? 'GET'),
    target: String(headers[':path'] ?? '/'),
    status: 0,
    reason: '',
    version: 11,
    headers: list,
    host: authority.toLowerCase(),
    framing,
    close: false,
    upgrade: '',
    expectContinue: false,
    contentLength: bodyless ? 0 : length,
  };
}

export class H2ToHttp1 implements AttemptClient, ClientConnection {
  readonly head: MessageHead;
  readonly direction = 'outbound' as const;
  mode: ClientBodyMode = 'raw';
  /** Set by the HTTP/1 attempts: called when the client's stream goes away first. */
  abortUpstream: () => void = () => {};
  private responded = false;
  private ended = false;
  /** Only `destroyed` is read of a client connection's socket (the pool skips gone clients). */
  readonly socket: Socket;

  /** The client's stream. */
  private readonly stream: ServerHttp2Stream;

  constructor(
    /**
     * The (derived) h2 exchange: its headers, telemetry, the response head (through its
     * `respond`, response header filters included), the body (through its `bodyStream`), and
     * local failures as h2 or gRPC answers.
     */
    private readonly req: H2Request,
    readonly pool: Http1Pool,
    readonly info: Http1ConnectionInfo,
  ) {
    const stream = req.stream;
    this.stream = stream;
    this.head = http1HeadFor(req.headers, stream.endAfterHeaders);
    const s = stream;
    this.socket = {
      get destroyed() {
        return s.destroyed || s.closed;
      },
    } as unknown as Socket;
    stream.once('close', () => {
      if (!this.ended) this.abortUpstream();
    });
  }

  get conn(): ClientConnection {
    return this;
  }

  get telemetry(): ExchangeTelemetry | undefined {
    return this.req.telemetry;
  }

  fail(error: WeftError, extraHeaders?: readonly string[]): void {
    this.ended = true;
    this.req.fail(error, extraHeaders);
  }

  attachBody(target: BodyTarget): void {
    if (this.head.framing.kind === 'none') {
      target.end();
      return;
    }
    const stream = this.req.bodyStream();
    const chunked = this.head.framing.kind === 'chunked';
    stream.on('data', (chunk: Buffer) => {
      const framed = chunked
        ? Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, CRLF])
        : chunk;
      if (!target.write(framed)) {
        stream.pause();
        target.onDrain(() => stream.resume());
      }
    });
    stream.once('end', () => {
      if (chunked) target.write(LAST_CHUNK);
      target.end();
    });
  }

  writeInterim(): void {
    // 1xx responses are not relayed across the protocol change (Node answers 100-continue itself).
  }

  writeHead(head: MessageHead): void {
    const out: OutgoingHttpHeaders = { ':status': head.status };
    for (let i = 0; i < head.headers.length; i += 2) {
      const name = (head.headers[i] as string).toLowerCase();
      if (NOT_RELAYED.has(name)) continue;
      const value = head.headers[i + 1] as string;
      const prev = out[name];
      out[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [String(prev), value];
    }
    const f = head.framing;
    if (f.kind === 'length') out['content-length'] = String(f.length);
    else if (f.kind === 'none' && head.contentLength >= 0) out['content-length'] = String(head.contentLength);
    // Chunked bodies reach writeBody without their framing (dechunk); the rest as they come.
    this.mode = f.kind === 'chunked' ? 'dechunk' : f.kind === 'none' ? 'none' : 'raw';
    this.responded = true;
    this.req.telemetry?.responded(head.status);
    if (this.stream.destroyed || this.stream.closed) return;
    try {
      this.req.respond(out, { endStream: f.kind === 'none' });
    } catch {
      this.destroy();
    }
  }

  flushHead(): void {}

  writeBody(chunk: Buffer): boolean {
    if (this.stream.destroyed || this.stream.closed) return true;
    return this.stream.write(chunk);
  }

  endResponse(): void {
    this.ended = true;
    if (this.responded && !this.stream.destroyed && !this.stream.writableEnded) this.stream.end();
  }

  takeOver(): { socket: Socket; pending: Buffer } {
    // Never reached: HTTP/2 requests carry no Upgrade, and CONNECT is not downgraded.
    throw new Error('no protocol switch on a downgraded HTTP/2 request');
  }

  destroy(): void {
    this.ended = true;
    if (!this.stream.destroyed) this.stream.close(constants.NGHTTP2_INTERNAL_ERROR);
  }
}
