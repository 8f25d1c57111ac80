/**
 * One HTTP/2 stream (gRPC or plain h2) as the layers see it, and its forwarding over a pooled
 * upstream session with headers, body and trailers relayed as they come.
 */
import {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  constants,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
  type ServerHttp2Stream,
} from 'node:http2';
import { WeftError } from '@weft/core';
import type { Destination, DestinationBackend } from '../discovery/resolver.js';
import {
  type PeerInfo,
  type ProxyRequest,
  statusForError,
  type UpstreamHead,
  type UpstreamTarget,
} from '../layers/types.js';
import type { ProxyMetrics } from '../metrics/proxy-metrics.js';
import { replaceTraceHeadersIn } from '../telemetry/propagation.js';
import type { RequestTelemetry } from '../telemetry/request-telemetry.js';
import type { H2Pool } from './h2-pool.js';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
]);

/** Headers to forward: pseudo-headers kept, hop-by-hop removed. */
function forwardable(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const name of Object.keys(headers)) {
    if (HOP_BY_HOP.has(name)) continue;
    out[name] = headers[name];
  }
  return out;
}

/** gRPC status codes for proxy errors. */
function grpcStatusFor(httpStatus: number): number {
  switch (httpStatus) {
    case 403:
      return 7; // PERMISSION_DENIED
    case 404:
      return 12; // UNIMPLEMENTED
    case 504:
      return 4; // DEADLINE_EXCEEDED
    default:
      return 14; // UNAVAILABLE
  }
}

/** Per connection facts for HTTP/2 streams. */
export interface H2ConnectionInfo {
  readonly peer: PeerInfo;
  readonly name: string;
  readonly port: number;
  readonly egress: UpstreamTarget | undefined;
  readonly direction: 'outbound' | 'inbound';
}

export class H2Request implements ProxyRequest {
  readonly protocol = 'h2' as const;
  destination: Destination | undefined;
  backend: DestinationBackend | undefined;
  upstream: UpstreamTarget | undefined;
  onUpstreamHead: ((head: UpstreamHead) => void) | undefined;
  telemetry: RequestTelemetry | undefined;
  readonly startedAt = performance.now();

  constructor(
    /** The client's stream (the traffic layer reads its body for replays). */
    readonly stream: ServerHttp2Stream,
    /** The headers as forwarded (`:path` per the forward policy). */
    private readonly headers: IncomingHttpHeaders,
    /** The normalized path and query: what authorization, routing and metrics see. */
    readonly path: string,
    private readonly info: H2ConnectionInfo,
    /** Upstream sessions (the traffic layer opens one stream per attempt). */
    readonly pool: H2Pool,
    private readonly metrics: ProxyMetrics,
  ) {
    stream.once('close', () => this.telemetry?.finished());
  }

  get method(): string {
    return (this.headers[':method'] as string | undefined) ?? 'GET';
  }
  get authority(): string {
    return (this.headers[':authority'] as string | undefined) ?? '';
  }
  get peer(): PeerInfo {
    return this.info.peer;
  }
  get direction(): 'outbound' | 'inbound' {
    return this.info.direction;
  }
  get name(): string {
    return this.info.name;
  }
  get port(): number {
    return this.info.port;
  }
  get egress(): UpstreamTarget | undefined {
    return this.info.egress;
  }

  header(lower: string): string | undefined {
    const v = this.headers[lower];
    return Array.isArray(v) ? v[0] : v;
  }

  forward(upstream: UpstreamTarget): void {
    this.upstream = upstream;
    this.pool.session(upstream).then(
      (session) => this.relay(session),
      (err: unknown) => {
        this.tellHead({ type: 'failed' });
        this.fail(new WeftError('UNAVAILABLE', `cannot reach ${upstream.address}: ${String(err)}`));
      },
    );
  }

  /**
   * The request headers to send upstream: pseudo-headers kept, hop-by-hop removed, trace
   * headers replaced, and `extra` (e.g. the attempt header) set, replacing the client's.
   */
  upstreamHeaders(extra: Readonly<Record<string, string>> = {}): OutgoingHttpHeaders {
    const outgoing = forwardable(this.headers);
    const trace = this.telemetry?.traceHeaders;
    if (trace !== undefined) replaceTraceHeadersIn(outgoing, trace);
    for (const [name, value] of Object.entries(extra)) outgoing[name] = value;
    return outgoing;
  }

  private relay(session: ClientHttp2Session): void {
    const down = this.stream;
    if (down.destroyed) {
      this.tellHead({ type: 'cancelled' });
      return;
    }
    const up = session.request(this.upstreamHeaders(), { endStream: false });
    up.on('response', (headers, flags) => {
      if (down.destroyed) return;
      const status = Number(headers[':status'] ?? 502);
      const grpc = headers['grpc-status'];
      this.tellHead(
        grpc === undefined
          ? { type: 'response', status }
          : { type: 'response', status, grpcStatus: Number(grpc) },
      );
      this.relayResponse(up, headers, flags);
    });
    up.on('error', () => this.reset());
    up.on('close', () => {
      this.tellHead({ type: 'failed' });
      if (!down.headersSent)
        this.fail(new WeftError('UNAVAILABLE', 'upstream stream closed before responding'));
    });
    down.on('close', () => {
      this.tellHead({ type: 'cancelled' });
      if (!up.destroyed) up.close(down.rstCode || constants.NGHTTP2_CANCEL);
    });
    this.stream.pipe(up);
  }

  /**
   * Relays the response of upstream stream `up`, whose head (`headers`, `flags`) just arrived,
   * to the client: head, body and trailers as they come; an upstream reset resets the client's
   * stream and a client that goes away cancels the upstream one.
   */
  relayResponse(up: ClientHttp2Stream, headers: IncomingHttpHeaders, flags: number): void {
    const down = this.stream;
    const status = Number(headers[':status'] ?? 502);
    const grpc = headers['grpc-status'];
    this.count(status);
    this.telemetry?.responded(status);
    if (grpc !== undefined) this.telemetry?.grpcStatus(Number(grpc));
    up.on('error', () => this.reset());
    up.on('close', () => {
      if (up.rstCode !== constants.NGHTTP2_NO_ERROR && !down.destroyed) down.close(up.rstCode);
    });
    down.on('close', () => {
      if (!up.destroyed) up.close(down.rstCode || constants.NGHTTP2_CANCEL);
    });
    if (down.destroyed) return;
    if ((flags & constants.NGHTTP2_FLAG_END_STREAM) !== 0) {
      down.respond(forwardable(headers), { endStream: true });
      return;
    }
    let trailers: OutgoingHttpHeaders | undefined;
    up.on('trailers', (t) => {
      trailers = forwardable(t);
      const code = t['grpc-status'];
      if (code !== undefined) this.telemetry?.grpcStatus(Number(code));
    });
    down.on('wantTrailers', () => {
      // An empty trailer section ends the stream cleanly when the upstream sent none.
      down.sendTrailers(trailers ?? {});
    });
    down.respond(forwardable(headers), { waitForTrailers: true });
    up.pipe(down);
  }

  /** Tells the traffic layer how the exchange began, once. */
  private tellHead(head: UpstreamHead): void {
    const tell = this.onUpstreamHead;
    this.onUpstreamHead = undefined;
    tell?.(head);
  }

  private reset(): void {
    if (!this.stream.destroyed) this.stream.close(constants.NGHTTP2_INTERNAL_ERROR);
  }

  fail(error: WeftError, extraHeaders: readonly string[] = []): void {
    const down = this.stream;
    if (down.destroyed || down.closed || down.headersSent) {
      this.reset();
      return;
    }
    const status = statusForError(error);
    this.count(status);
    this.telemetry?.responded(status, error);
    this.metrics.requestErrors.inc({ direction: this.info.direction, reason: error.code.toLowerCase() });
    const extra: OutgoingHttpHeaders = {};
    for (let i = 0; i < extraHeaders.length; i += 2) extra[extraHeaders[i]!] = extraHeaders[i + 1];
    const ct = this.header('content-type') ?? '';
    if (ct.startsWith('application/grpc')) {
      down.respond(
        {
          ':status': 200,
          'content-type': 'application/grpc',
          'grpc-status': String(grpcStatusFor(status)),
          'grpc-message': encodeURIComponent(error.message),
          ...extra,
        },
        { endStream: true },
      );
      return;
    }
    down.respond({ ':status': status, 'content-type': 'text/plain; charset=utf-8', ...extra });
    down.end(`${error.message}\n`);
  }

  private count(status: number): void {
    const c = this.metrics.statusCounters[this.info.direction];
    (c[Math.floor(status / 100)] ?? c[0]!).inc();
  }
}
