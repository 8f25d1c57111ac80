/** Accepts HTTP/2 (prior knowledge) connections handed over by a listener and feeds their streams to the layers. */
import {
  constants,
  createServer,
  type Http2Server,
  type Http2Session,
  type ServerHttp2Stream,
} from 'node:http2';
import type { Socket } from 'node:net';
import type { TargetPolicySource } from '../layers/target-policy.js';
import type { Handler } from '../layers/types.js';
import { guard } from '../net/guard.js';
import type { ProxyMetrics } from '../telemetry/proxy-metrics.js';
import { codeName, errorCode, type H2Limits, ResetBudget, serverOptions } from './h2-limits.js';
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
  /** Time without frames after which a client connection is closed. */
  readonly idleTimeoutMs: number;
  /** Stream, reset and flood limits per client connection. */
  readonly limits: H2Limits;
  /** Milliseconds on a monotonic clock (the reset budget's windows); `performance.now` by default. */
  readonly now?: () => number;
}

/** How long a connection cut off for abuse may take to go after its GOAWAY. */
const GOAWAY_GRACE_MS = 1000;

/** Serves h2 on sockets whose first bytes (already read) are unshifted back by the caller. */
export class H2Server {
  private readonly server: Http2Server;
  private readonly infos = new WeakMap<Http2Session, H2ConnectionInfo>();
  private readonly sessions = new Set<Http2Session>();
  private pending: H2ConnectionInfo | undefined;

  constructor(private readonly options: H2ServerOptions) {
    const { metrics, limits } = options;
    const now = options.now ?? (() => performance.now());
    this.server = guard(createServer(serverOptions(limits, options.maxHeaderListSize)));
    this.server.on('session', (session: Http2Session) => {
      const info = this.pending;
      const direction = info?.direction ?? 'inbound';
      guard(session, (err) =>
        metrics.h2.sessionErrors.inc({ side: 'client', direction, code: errorCode(err) }),
      );
      if (info !== undefined) this.infos.set(session, info);
      this.sessions.add(session);
      session.on('close', () => this.sessions.delete(session));
      session.on('goaway', (code: number) =>
        metrics.h2.goawayReceived.inc({ side: 'client', direction, code: codeName(code) }),
      );
      // A connection with no frames for the idle timeout is closed (h2 slowloris, or a session
      // nghttp2 already ended with GOAWAY that the client keeps open).
      session.setTimeout(options.idleTimeoutMs, () => session.destroy());
      const budget = new ResetBudget(limits.maxResetsPerInterval, limits.resetIntervalMs);
      let rejected = false;
      // A stream the client reset before the proxy finished answering it ('aborted'): each still
      // cost an upstream stream, so a client resetting faster than its budget is cut off.
      session.on('stream', (stream: ServerHttp2Stream) => {
        guard(stream);
        stream.once('aborted', () => {
          metrics.h2.streamResets.inc({ side: 'client', direction, code: codeName(stream.rstCode) });
          if (rejected || !budget.hit(now())) return;
          rejected = true;
          metrics.h2.sessionsRejected.inc({ direction, reason: 'rapid-reset' });
          if (session.destroyed) return;
          // goaway() itself (Node 20's destroy(undefined, code) sends NO_ERROR); nghttp2 ignores
          // the client's new streams from now on. The socket closes once the streams in flight
          // end, and at the latest a grace period later: closing at once could make the
          // client's kernel drop the GOAWAY (a reset over unread data).
          session.goaway(constants.NGHTTP2_ENHANCE_YOUR_CALM);
          session.close();
          setTimeout(() => session.destroy(), GOAWAY_GRACE_MS).unref();
        });
      });
    });
    this.server.on('stream', (stream: ServerHttp2Stream, headers) => {
      guard(stream);
      const info = this.infos.get(stream.session!);
      if (info === undefined) {
        stream.close(constants.NGHTTP2_REFUSED_STREAM);
        return;
      }
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
    if (!stream.destroyed && !stream.closed && !stream.headersSent) {
      stream.respond({ ':status': 400, 'content-type': 'text/plain; charset=utf-8' });
      stream.end(`invalid request target: ${detail}\n`);
    }
  }

  /** Takes over `socket` (its first bytes already unshifted back) as an h2 connection. */
  serve(socket: Socket, info: H2ConnectionInfo): void {
    guard(socket);
    // Listener sockets allow half-open (for opaque TCP); an h2 client that closed its end sends
    // nothing more, so its session (and the upstream streams it holds) ends now.
    socket.once('end', () => socket.destroy());
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
