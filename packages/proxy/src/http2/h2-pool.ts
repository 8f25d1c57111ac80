/**
 * Multiplexed HTTP/2 upstream sessions, one per target: to other proxies inside mTLS (after
 * the weft preamble) and to apps as h2c with prior knowledge. Sessions that go away are
 * dropped and the next request opens a new one.
 */
import { type ClientHttp2Session, connect as h2connect } from 'node:http2';
import { WeftError } from '@weft/core';
import type { Connector } from '../net/connector.js';
import { guard } from '../net/guard.js';
import type { UpstreamTarget } from '../net/upstream-target.js';
import { clientOptions, codeName, errorCode, type H2Limits } from './h2-limits.js';
import type { H2Metrics } from './h2-metrics.js';

/** What the pool is built with. */
export interface H2PoolOptions {
  readonly connector: Connector;
  readonly metrics: H2Metrics;
  /** Bounds on what upstreams may send (header lists, SETTINGS, session memory). */
  readonly limits: H2Limits;
  /** Largest response header list accepted from an upstream, in bytes. */
  readonly maxHeaderListSize: number;
}

export class H2Pool {
  private readonly sessions = new Map<string, Promise<ClientHttp2Session>>();
  /** The connected sessions of `sessions`, for a synchronous fast path (no promise per stream). */
  private readonly connected = new Map<string, ClientHttp2Session>();
  private closed = false;

  constructor(private readonly options: H2PoolOptions) {}

  /**
   * An open session to `target`, reusing the current one. A new session with `idleTimeoutMs`
   * (a destination's `timeouts.idle`) is closed gracefully after that long without activity:
   * new streams go to a new session, streams still open finish.
   */
  /** The open, connected session to `target` if there is one now (else use `session`). */
  ready(target: UpstreamTarget): ClientHttp2Session | undefined {
    const session = this.connected.get(target.key);
    if (session === undefined || session.closed || session.destroyed) return undefined;
    return session;
  }

  session(target: UpstreamTarget, idleTimeoutMs?: number): Promise<ClientHttp2Session> {
    const existing = this.sessions.get(target.key);
    if (existing !== undefined) return existing;
    const { metrics } = this.options;
    const created = this.options.connector.connect(target, 'h2').then(
      (socket) =>
        new Promise<ClientHttp2Session>((resolve, reject) => {
          const session = h2connect(`http://${target.address}:${target.port}`, {
            ...clientOptions(this.options.limits, this.options.maxHeaderListSize),
            createConnection: () => guard(socket),
          });
          // The socket is half-open capable (mesh dials share one connector), so an upstream that
          // closes its end (GOAWAY then FIN, or just FIN) would leave the session and its streams
          // waiting forever: nothing more can arrive, so the session is over.
          // Destroyed with an error so that its open streams reset rather than end as if complete.
          socket.once('end', () => {
            if (!session.destroyed)
              session.destroy(new WeftError('UNAVAILABLE', 'the upstream closed its connection'));
          });
          guard(session, (err) => metrics.sessionErrors.inc({ side: 'upstream', code: errorCode(err) }));
          session.on('goaway', (code: number) =>
            metrics.goawayReceived.inc({ side: 'upstream', code: codeName(code) }),
          );
          const drop = () => {
            if (this.sessions.get(target.key) === created) this.sessions.delete(target.key);
            if (this.connected.get(target.key) === session) this.connected.delete(target.key);
          };
          session.once('connect', () => {
            if (this.sessions.get(target.key) === created) this.connected.set(target.key, session);
            resolve(session);
          });
          guard(session, (err) => {
            drop();
            reject(err); // ignored once connected
          });
          session.once('goaway', drop);
          session.once('close', drop);
          if (idleTimeoutMs !== undefined) {
            session.setTimeout(idleTimeoutMs, () => {
              drop();
              session.close();
            });
          }
          if (this.closed) session.close();
        }),
    );
    created.catch(() => {
      if (this.sessions.get(target.key) === created) this.sessions.delete(target.key);
    });
    this.sessions.set(target.key, created);
    return created;
  }

  /** Closes every session gracefully (in-flight streams finish). */
  close(): void {
    this.closed = true;
    for (const s of this.sessions.values()) {
      s.then(
        (session) => session.close(),
        () => {},
      );
    }
    this.sessions.clear();
    this.connected.clear();
  }
}
