/**
 * Pools persistent HTTP/1.1 upstream connections per target (address, port, identity), so
 * that steady traffic between sidecars and to apps reuses warm connections: no TCP or TLS
 * handshake per request. Idle connections are kept LIFO (the warmest first) up to a cap.
 */
import { isWeftError, WeftError } from '@weft/core';
import type { UpstreamTarget } from '../layers/types.js';
import type { ProxyMetrics } from '../metrics/proxy-metrics.js';
import type { Connector, SocketReader } from '../net/connector.js';
import type { HeadLimits } from './head-parser.js';
import { type ConnectionHome, UpstreamConnection, type UpstreamExchange } from './upstream-connection.js';

export interface Http1PoolOptions {
  readonly connector: Connector;
  readonly limits: HeadLimits;
  readonly metrics: ProxyMetrics;
  /** Idle connections kept per target. */
  readonly maxIdlePerTarget: number;
  /** An idle pooled connection is closed after this long. */
  readonly idleTimeoutMs: number;
}

export class Http1Pool implements ConnectionHome {
  private readonly idle = new Map<string, UpstreamConnection[]>();
  private readonly all = new Set<UpstreamConnection>();
  private closed = false;

  constructor(private readonly options: Http1PoolOptions) {}

  /** Sends `req` to `target` on an idle connection, or on a new one (`fresh` forces new). */
  forward(req: UpstreamExchange, target: UpstreamTarget, fresh: boolean): void {
    if (!fresh) {
      const list = this.idle.get(target.key);
      while (list !== undefined && list.length > 0) {
        const conn = list.pop()!;
        if (conn.idle && !conn.socket.destroyed) {
          conn.send(req);
          return;
        }
      }
    }
    // Bytes read before the connection object exists are kept (none are expected).
    const early: Buffer[] = [];
    const reader: SocketReader = {
      onData: (chunk) => {
        early.push(chunk);
      },
    };
    this.options.connector.connect(target, 'http1', reader).then(
      (socket) => {
        const conn = new UpstreamConnection(
          socket,
          target.key,
          this,
          this.options.limits,
          this.options.metrics,
        );
        conn.readerMode = target.meshedPort === 0;
        reader.onData = (chunk) => conn.receive(chunk);
        for (const chunk of early) conn.receive(chunk);
        // One idle timer per connection, refreshed by socket activity: it only closes idle ones.
        socket.setTimeout(this.options.idleTimeoutMs);
        socket.on('timeout', () => {
          if (conn.idle) conn.close();
        });
        this.all.add(conn);
        if (this.closed || req.conn.socket.destroyed) {
          this.release(conn);
          return;
        }
        conn.send(req);
      },
      (err: unknown) => {
        req.fail(isWeftError(err) ? err : wrap(err));
      },
    );
  }

  release(conn: UpstreamConnection): void {
    if (this.closed) {
      conn.close();
      return;
    }
    let list = this.idle.get(conn.key);
    if (list === undefined) {
      list = [];
      this.idle.set(conn.key, list);
    }
    if (list.length >= this.options.maxIdlePerTarget) {
      conn.close();
      return;
    }
    list.push(conn);
  }

  remove(conn: UpstreamConnection): void {
    this.all.delete(conn);
    const list = this.idle.get(conn.key);
    if (list === undefined) return;
    const i = list.indexOf(conn);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.idle.delete(conn.key);
  }

  /** Open upstream connections (idle and busy). */
  get size(): number {
    return this.all.size;
  }

  /** Closes idle connections now and busy ones as they finish. */
  close(): void {
    this.closed = true;
    for (const list of this.idle.values()) for (const conn of [...list]) conn.close();
    this.idle.clear();
  }
}

function wrap(err: unknown): WeftError {
  return new WeftError('UNAVAILABLE', err instanceof Error ? err.message : String(err), { cause: err });
}
