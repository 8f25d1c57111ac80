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
  type ServerStreamResponseOptions,
} from 'node:http2';
import { WeftError } from '@weft/core';
import { type ExchangeState, SharedStateExchange } from '../layers/exchange-state.js';
import {
  type AttemptChannel,
  type AttemptObserver,
  type AttemptOptions,
  type Exchange,
  type PeerInfo,
  statusForError,
} from '../layers/types.js';
import { guard } from '../net/guard.js';
import type { UpstreamTarget } from '../net/upstream-target.js';
import { replaceTraceHeadersIn } from '../telemetry/propagation.js';
import type { ProxyMetrics } from '../telemetry/proxy-metrics.js';
import { H2Attempts } from './h2-attempts.js';
import { cancelledByProxy, cancelUpstream, gone } from './h2-cancel.js';
import { codeName } from './h2-limits.js';
import type { H2Pool } from './h2-pool.js';
import { H2_HOP_BY_HOP } from './hop-by-hop.js';

const HOP_BY_HOP = new Set(H2_HOP_BY_HOP);

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
  /** The SNI name of the client's TLS handshake (gateway HTTPS ports; '' or absent otherwise). */
  readonly servername?: string;
}

export class H2Request extends SharedStateExchange<ExchangeState> implements Exchange {
  readonly protocol = 'h2' as const;

  constructor(
    /** The client's stream (the traffic layer reads its body for replays). */
    readonly stream: ServerHttp2Stream,
    /** The headers as forwarded (`:path` per the forward policy). */
    readonly headers: IncomingHttpHeaders,
    /** The normalized path and query: what authorization, routing and metrics see. */
    readonly path: string,
    private readonly info: H2ConnectionInfo,
    /** Upstream sessions (the traffic layer opens one stream per attempt). */
    readonly pool: H2Pool,
    readonly metrics: ProxyMetrics,
    readonly startedAt: number = performance.now(),
    /** The original's state, for a view of it (gateway/derived-h2.ts); a request of its own when absent. */
    view?: ExchangeState,
  ) {
    super(view ?? { destination: undefined, upstream: undefined, telemetry: undefined });
    if (view !== undefined) return;
    guard(stream);
    stream.once('close', () => this.state.telemetry?.finished());
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
  /** The SNI name the client's TLS handshake sent ('' when none or not TLS). */
  get servername(): string {
    return this.info.servername ?? '';
  }

  /** Sends the response head on the client's stream (a gateway view edits it first). */
  respond(headers: OutgoingHttpHeaders, options?: ServerStreamResponseOptions): void {
    this.stream.respond(headers, options);
  }

  /**
   * The client's stream, for the one reader of the request body, which subscribes to its data
   * in the same tick (a gateway view starts a mirror's copy of the body here).
   */
  bodyStream(): ServerHttp2Stream {
    return this.stream;
  }

  header(lower: string): string | undefined {
    const v = this.headers[lower];
    return Array.isArray(v) ? v[0] : v;
  }

  /**
   * Attempts on pooled sessions with a replayable body; none for CONNECT, nor for the
   * single-attempt path (`retries: false`), which `forward` serves: HTTP/2 has no keep-alive
   * race to resend after (a stream the server did not take is REFUSED_STREAM).
   */
  attempts(observer: AttemptObserver, options: AttemptOptions): AttemptChannel | undefined {
    if (this.method === 'CONNECT' || !options.retries) return undefined;
    return new H2Attempts(this, observer, options);
  }

  forward(upstream: UpstreamTarget): void {
    this.upstream = upstream;
    this.pool.session(upstream).then(
      (session) => this.relay(session),
      (err: unknown) => {
        this.fail(new WeftError('UNAVAILABLE', `cannot reach ${upstream.address}: ${String(err)}`));
      },
    );
  }

  /**
   * The request headers to send upstream: pseudo-headers kept, hop-by-hop removed, trace
   * headers replaced, and `extra` (e.g. the attempt header) set, replacing the client's.
   */
  upstreamHeaders(extra?: Readonly<Record<string, string>>): OutgoingHttpHeaders {
    const outgoing = forwardable(this.headers);
    const trace = this.telemetry?.traceHeaders;
    if (trace !== undefined) replaceTraceHeadersIn(outgoing, trace);
    if (extra !== undefined) for (const name of Object.keys(extra)) outgoing[name] = extra[name];
    return outgoing;
  }

  private relay(session: ClientHttp2Session): void {
    const down = this.stream;
    if (gone(down)) return;
    let up: ClientHttp2Stream;
    try {
      up = guard(session.request(this.upstreamHeaders(), { endStream: false }));
    } catch (err) {
      // The session is closing (GOAWAY) or was destroyed between the pool's answer and now.
      this.fail(new WeftError('UNAVAILABLE', `upstream session unusable: ${String(err)}`));
      return;
    }
    this.watchUpstream(up);
    up.on('response', (headers, flags) => {
      if (gone(down)) return;
      this.relayResponse(up, headers, flags);
    });
    up.on('close', () => {
      if (!down.headersSent)
        this.fail(
          new WeftError('UNAVAILABLE', `upstream stream closed before responding (${codeName(up.rstCode)})`),
        );
    });
    down.on('close', () => cancelUpstream(up, down.rstCode || constants.NGHTTP2_CANCEL));
    this.bodyStream().pipe(up);
  }

  /** Counts the upstream's reset of `up`, if it was one (a non-zero close code the proxy did not send). */
  watchUpstream(up: ClientHttp2Stream): void {
    up.once('close', () => {
      const code = up.rstCode;
      if (code === undefined || code === constants.NGHTTP2_NO_ERROR || cancelledByProxy(up)) return;
      this.metrics.h2.streamResets.inc({
        side: 'upstream',
        direction: this.info.direction,
        code: codeName(code),
      });
    });
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
    guard(up);
    let piping = false;
    up.on('close', () => {
      const code = up.rstCode;
      // The body ends for the client only when the upstream's did: END_STREAM and a clean close.
      // A reset after the head resets the client's stream (a cancel as a cancel, any other code
      // as the proxy's INTERNAL_ERROR: the client's peer is the proxy, not the app), and so does
      // a stream whose session died (GOAWAY, TCP close), else the client would wait forever or
      // take a truncated body for a whole one.
      if (code === constants.NGHTTP2_NO_ERROR && (!piping || up.readableEnded)) {
        if (piping && !gone(down)) down.end();
        return;
      }
      this.reset(code === constants.NGHTTP2_CANCEL ? code : constants.NGHTTP2_INTERNAL_ERROR);
    });
    down.on('close', () => cancelUpstream(up, down.rstCode || constants.NGHTTP2_CANCEL));
    if (gone(down)) return;
    if ((flags & constants.NGHTTP2_FLAG_END_STREAM) !== 0) {
      this.respondSafely(forwardable(headers), { endStream: true });
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
      if (gone(down)) return;
      try {
        down.sendTrailers(trailers ?? {});
      } catch {
        this.reset();
      }
    });
    if (!this.respondSafely(forwardable(headers), { waitForTrailers: true })) {
      cancelUpstream(up);
      return;
    }
    piping = true;
    up.pipe(down, { end: false });
  }

  /** Sends the upstream's head to the client; false (and the client's stream reset) when Node refuses it. */
  private respondSafely(
    headers: OutgoingHttpHeaders,
    options: { endStream?: boolean; waitForTrailers?: boolean },
  ): boolean {
    try {
      this.respond(headers, options);
      return true;
    } catch {
      // A head Node will not send (a header an upstream may not forward) or a stream that just closed.
      this.reset();
      return false;
    }
  }

  /** Resets the client's stream (idempotent: a stream already closed or gone is left alone). */
  private reset(code: number = constants.NGHTTP2_INTERNAL_ERROR): void {
    if (!gone(this.stream)) this.stream.close(code);
  }

  /**
   * Answers the client with the proxy's own error (an HTTP status, or a gRPC status for gRPC).
   * Idempotent: once a head was sent or the stream is closed, it resets the stream at most.
   */
  fail(error: WeftError, extraHeaders: readonly string[] = []): void {
    const down = this.stream;
    if (gone(down) || down.headersSent) {
      this.reset();
      return;
    }
    try {
      this.respondWith(error, extraHeaders);
    } catch {
      // The stream closed under us (a reset racing this answer): nothing more to tell the client.
      this.reset();
    }
  }

  private respondWith(error: WeftError, extraHeaders: readonly string[]): void {
    const down = this.stream;
    const status = statusForError(error);
    this.count(status);
    this.telemetry?.responded(status, error);
    this.metrics.requestErrors.inc({ direction: this.info.direction, reason: error.code.toLowerCase() });
    const extra: OutgoingHttpHeaders = {};
    for (let i = 0; i < extraHeaders.length; i += 2) extra[extraHeaders[i]!] = extraHeaders[i + 1];
    const ct = this.header('content-type') ?? '';
    if (ct.startsWith('application/grpc')) {
      this.respond(
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
    this.respond({ ':status': status, 'content-type': 'text/plain; charset=utf-8', ...extra });
    down.end(`${error.message}\n`);
  }

  private count(status: number): void {
    const c = this.metrics.statusCounters[this.info.direction];
    (c[Math.floor(status / 100)] ?? c[0]!).inc();
  }
}
