/**
 * Pools persistent HTTP/1.1 upstream connections per target (address, port, identity), so
 * that steady traffic between sidecars and to apps reuses warm connections: no TCP or TLS
 * handshake per request. Idle connections are kept LIFO (the warmest first) up to a cap.
 */
import { isWeftError, WeftError } from '@weft/core';
import type { Connector, SocketReader } from '../net/connector.js';
import type { ConnectionPolicy, UpstreamTarget } from '../net/upstream-target.js';
import type { ProxyMetrics } from '../telemetry/proxy-metrics.js';
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

/** A group's connection count and the requests waiting for a connection. */
interface Group {
  open: number;
  readonly waiting: { req: UpstreamExchange; target: UpstreamTarget; policy: ConnectionPolicy }[];
}

export class Http1Pool implements ConnectionHome {
  private readonly idle = new Map<string, UpstreamConnection[]>();
  private readonly all = new Set<UpstreamConnection>();
  private readonly groups = new Map<string, Group>();
  private readonly groupOf = new Map<UpstreamConnection, ConnectionPolicy>();
  private closed = false;

  constructor(private readonly options: Http1PoolOptions) {}

  /**
   * Sends `req` to `target` on an idle connection, or on a new one (`fresh` forces new). With
   * a `policy`, a new connection is opened only while its group is under `maxConnections`
   * (closing one of the group's idle connections to another target to make room); otherwise
   * the request waits for a connection of the group to be released or closed.
   */
  forward(req: UpstreamExchange, target: UpstreamTarget, fresh: boolean, policy?: ConnectionPolicy): void {
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
    if (policy !== undefined) {
      const group = this.group(policy.group);
      if (group.open >= policy.maxConnections) {
        group.waiting.push({ req, target, policy });
        this.closeIdleOf(policy.group);
        return;
      }
      group.open++;
    }
    this.dial(req, target, policy);
  }

  private dial(req: UpstreamExchange, target: UpstreamTarget, policy: ConnectionPolicy | undefined): void {
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
        if (policy !== undefined) this.groupOf.set(conn, policy);
        // One idle timer per connection, refreshed by socket activity: it only closes idle ones.
        socket.setTimeout(policy?.idleTimeoutMs ?? this.options.idleTimeoutMs);
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
        if (policy !== undefined) this.closedOne(policy.group);
        req.upstreamFailed(isWeftError(err) ? err : wrap(err), false);
      },
    );
  }

  release(conn: UpstreamConnection): void {
    if (this.closed) {
      conn.close();
      return;
    }
    const policy = this.groupOf.get(conn);
    if (policy !== undefined) {
      const next = this.nextWaiting(policy.group);
      if (next !== undefined) {
        if (next.target.key === conn.key) {
          conn.send(next.req);
          return;
        }
        // Its target is another: this connection makes room for one (remove dials it).
        this.groups.get(policy.group)?.waiting.unshift(next);
        conn.close();
        return;
      }
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
    const policy = this.groupOf.get(conn);
    if (policy !== undefined) {
      this.groupOf.delete(conn);
      this.closedOne(policy.group);
    }
    const list = this.idle.get(conn.key);
    if (list === undefined) return;
    const i = list.indexOf(conn);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.idle.delete(conn.key);
  }

  /** A connection of `name` closed (or failed to open): the first request waiting gets a new one. */
  private closedOne(name: string): void {
    const group = this.groups.get(name);
    if (group === undefined) return;
    group.open--;
    const next = this.nextWaiting(name);
    if (next !== undefined) {
      group.open++;
      this.dial(next.req, next.target, next.policy);
    } else if (group.open <= 0) this.groups.delete(name);
  }

  /** The first waiting request whose client is still there. */
  private nextWaiting(name: string): Group['waiting'][number] | undefined {
    const waiting = this.groups.get(name)?.waiting;
    while (waiting !== undefined && waiting.length > 0) {
      const next = waiting.shift()!;
      if (!next.req.conn.socket.destroyed && next.req.abandoned !== true) return next;
    }
    return undefined;
  }

  /** Closes one idle connection of group `name`, if it has one, so a waiting request can open its own. */
  private closeIdleOf(name: string): void {
    for (const list of this.idle.values()) {
      const conn = list.find((c) => this.groupOf.get(c)?.group === name);
      if (conn !== undefined) {
        conn.close();
        return;
      }
    }
  }

  private group(name: string): Group {
    let group = this.groups.get(name);
    if (group === undefined) {
      group = { open: 0, waiting: [] };
      this.groups.set(name, group);
    }
    return group;
  }

  /** Requests waiting for a connection under `maxConnections`. */
  get waiting(): number {
    let n = 0;
    for (const g of this.groups.values()) n += g.waiting.length;
    return n;
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
    for (const group of this.groups.values()) {
      for (const w of group.waiting.splice(0))
        w.req.upstreamFailed(new WeftError('UNAVAILABLE', 'the proxy is shutting down'), false);
    }
  }
}

function wrap(err: unknown): WeftError {
  return new WeftError('UNAVAILABLE', err instanceof Error ? err.message : String(err), { cause: err });
}
