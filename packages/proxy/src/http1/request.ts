/** One HTTP/1 request as the layers see it: an {@link Exchange} over a client connection. */
import type { WeftError } from '@weft/core';
import { type ExchangeState, SharedStateExchange } from '../layers/exchange-state.js';
import type { AttemptChannel, AttemptObserver, AttemptOptions, Exchange, PeerInfo } from '../layers/types.js';
import type { UpstreamTarget } from '../net/upstream-target.js';
import type { TraceHeaders } from '../telemetry/propagation.js';
import { Http1Attempts } from './attempts.js';
import type { ClientConnection } from './client-connection.js';
import { joinedHeaderValue, type MessageHead } from './head-parser.js';

/** An HTTP/1 request's {@link ExchangeState}, with the hook that aborts its upstream exchange. */
export interface Http1RequestState extends ExchangeState {
  abortUpstream: () => void;
}

/** One HTTP/1 request as the layers see it. */
export class Http1Request extends SharedStateExchange<Http1RequestState> implements Exchange {
  readonly protocol = 'http1' as const;

  constructor(
    readonly conn: ClientConnection,
    /** The head as it is forwarded (its target per the forward policy). */
    readonly head: MessageHead,
    /** The normalized path and query: what authorization, routing and metrics see. */
    readonly path: string,
    readonly direction: 'outbound' | 'inbound',
    readonly startedAt: number,
    /** The original's state, for a view of it; a request of its own when absent. */
    state: Http1RequestState = {
      destination: undefined,
      upstream: undefined,
      telemetry: undefined,
      abortUpstream: noop,
    },
  ) {
    super(state);
  }

  /** Set once sent upstream: lets a client failure abort the upstream exchange. */
  get abortUpstream(): () => void {
    return this.state.abortUpstream;
  }
  set abortUpstream(value: () => void) {
    this.state.abortUpstream = value;
  }

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
    return joinedHeaderValue(this.head.headers, lower);
  }

  /** Trace headers for the request written upstream now (undefined: as it arrived). */
  get traceHeaders(): TraceHeaders | undefined {
    return this.telemetry?.traceHeaders;
  }

  /** Attempts with a replayable body; none for upgrades and CONNECT (their bytes are a tunnel). */
  attempts(observer: AttemptObserver, options: AttemptOptions): AttemptChannel | undefined {
    if (this.head.upgrade !== '' || this.head.method === 'CONNECT') return undefined;
    return new Http1Attempts(this, observer, options);
  }

  forward(upstream: UpstreamTarget): void {
    this.upstream = upstream;
    this.conn.pool.forward(this, upstream, false);
  }

  fail(error: WeftError, extraHeaders?: readonly string[]): void {
    this.conn.fail(error, extraHeaders);
  }

  /** The upstream exchange of a single forward (an upgrade or CONNECT) failed: never resent. */
  upstreamFailed(error: WeftError): void {
    this.conn.fail(error);
  }
}

function noop(): void {}
