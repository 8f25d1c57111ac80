/** Accepts HTTP/2 (prior knowledge) connections handed over by a listener and feeds their streams to the layers. */
import { createServer, type Http2Server, type Http2Session, type ServerHttp2Stream } from 'node:http2';
import type { Socket } from 'node:net';
import type { TargetPolicySource } from '../layers/target-policy.js';
import type { Handler } from '../layers/types.js';
import type { ProxyMetrics } from '../metrics/proxy-metrics.js';
import type { H2Pool } from './h2-pool.js';
import { type H2ConnectionInfo, H2Request } from './h2-request.js';

export interface H2ServerOptions {
  readonly handler: Handler;
  readonly pool: H2Pool;
  readonly metrics: ProxyMetrics;
  /** Largest header list, in bytes. */
  readonly maxHeaderListSize: number;
  /** Normalizes every `:path` (400 and GOAWAY on rejection). */
  readonly targets: TargetPolicySource;
}

/** Serves h2 on sockets whose first bytes (already read) are unshifted back by the caller. */
export class H2Server {
  private readonly server: Http2Server;
  private readonly infos = new WeakMap<Http2Session, H2ConnectionInfo>();
  private readonly sessions = new Set<Http2Session>();
  private pending: H2ConnectionInfo | undefined;

  constructor(private readonly options: H2ServerOptions) {
    this.server = createServer({
      // Hardening: bounded header lists and concurrent streams per connection.
      settings: {
        enablePush: false,
        maxHeaderListSize: options.maxHeaderListSize,
        maxConcurrentStreams: 1000,
      },
      maxSessionInvalidFrames: 100,
    });
    this.server.on('session', (session: Http2Session) => {
      if (this.pending !== undefined) this.infos.set(session, this.pending);
      this.sessions.add(session);
      session.on('close', () => this.sessions.delete(session));
      session.on('error', () => {});
    });
    this.server.on('stream', (stream: ServerHttp2Stream, headers) => {
      const info = this.infos.get(stream.session!);
      if (info === undefined) {
        stream.close();
        return;
      }
      stream.on('error', () => {});
      const method = headers[':method'] ?? 'GET';
      const raw = headers[':path'];
      const t = this.options.targets.decide(info.direction, method, typeof raw === 'string' ? raw : '');
      if (t.type === 'reject') {
        this.refuseTarget(stream, info, t.detail);
        return;
      }
      const forwarded = t.forward === raw ? headers : { ...headers, ':path': t.forward };
      this.options.handler(
        new H2Request(stream, forwarded, t.path, info, this.options.pool, this.options.metrics),
      );
    });
  }

  /**
   * Answers 400 for an invalid `:path`. Only the stream ends: an HTTP/2 connection is shared
   * (a client proxy pools one per peer), so other requests on it must not pay for this one.
   */
  private refuseTarget(stream: ServerHttp2Stream, info: H2ConnectionInfo, detail: string): void {
    const m = this.options.metrics;
    m.requestErrors.inc({ direction: info.direction, reason: 'bad-request' });
    m.statusCounters[info.direction][4]?.inc();
    if (!stream.destroyed && !stream.headersSent) {
      stream.respond({ ':status': 400, 'content-type': 'text/plain; charset=utf-8' });
      stream.end(`invalid request target: ${detail}\n`);
    }
  }

  /** Takes over `socket` (its first bytes already unshifted back) as an h2 connection. */
  serve(socket: Socket, info: H2ConnectionInfo): void {
    this.pending = info;
    this.server.emit('connection', socket);
    this.pending = undefined;
  }

  /** Sends GOAWAY on every session; in-flight streams finish. */
  drain(): void {
    for (const s of this.sessions) s.close();
  }

  get open(): number {
    return this.sessions.size;
  }
}
