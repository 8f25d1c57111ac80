/** One HTTP/1 request as the layers see it, and the error for a broken upstream exchange. */
import { WeftError } from '@weft/core';
import type { Destination, DestinationBackend } from '../discovery/resolver.js';
import type { PeerInfo, ProxyRequest, UpstreamTarget } from '../layers/types.js';
import type { TraceHeaders } from '../telemetry/propagation.js';
import type { RequestTelemetry } from '../telemetry/request-telemetry.js';
import { headerValue, type MessageHead } from './head-parser.js';
import type { Http1ServerConnection } from './server-connection.js';

/** One HTTP/1 request as the layers see it. */
export class Http1Request implements ProxyRequest {
  readonly protocol = 'http1' as const;
  destination: Destination | undefined;
  backend: DestinationBackend | undefined;
  upstream: UpstreamTarget | undefined;
  telemetry: RequestTelemetry | undefined;
  /** Set once forwarded: lets a client failure abort the upstream exchange. */
  abortUpstream: () => void = noop;
  private retried = false;

  constructor(
    readonly conn: Http1ServerConnection,
    /** The head as it is forwarded (its target per the forward policy). */
    readonly head: MessageHead,
    /** The normalized path and query: what authorization, routing and metrics see. */
    readonly path: string,
    readonly direction: 'outbound' | 'inbound',
    readonly startedAt: number,
  ) {}

  get method(): string {
    return this.head.method;
  }
  get authority(): string {
    return this.head.host;
  }
  get peer(): PeerInfo {
    return this.conn.info.peer;
  }
  get name(): string {
    return this.conn.info.name;
  }
  get port(): number {
    return this.conn.info.port;
  }
  get egress(): UpstreamTarget | undefined {
    return this.conn.info.egress;
  }

  header(lower: string): string | undefined {
    return headerValue(this.head.headers, lower);
  }

  /** Trace headers for the request written upstream now (undefined: as it arrived). */
  get traceHeaders(): TraceHeaders | undefined {
    return this.telemetry?.traceHeaders;
  }

  forward(upstream: UpstreamTarget): void {
    this.upstream = upstream;
    this.conn.pool.forward(this, upstream, false);
  }

  /**
   * A reused upstream connection closed before answering (the keep-alive race): retry once
   * on a fresh connection when nothing of the body has been consumed.
   */
  retryOnFreshConnection(): boolean {
    if (this.retried || this.head.framing.kind !== 'none' || this.upstream === undefined) return false;
    this.retried = true;
    this.conn.pool.forward(this, this.upstream, true);
    return true;
  }

  fail(error: WeftError, extraHeaders?: readonly string[]): void {
    this.conn.fail(error, extraHeaders);
  }
}

function noop(): void {}

/** An error for a broken upstream exchange (mapped to 502). */
export class UpstreamError extends WeftError {
  constructor(message: string, cause?: unknown) {
    super('INTERNAL', message, { cause });
    this.name = 'UpstreamError';
  }
}
