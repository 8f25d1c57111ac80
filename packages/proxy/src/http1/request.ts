/** One HTTP/1 request as the layers see it: an {@link Exchange} over a client connection. */
import type { WeftError } from '@weft/core';
import type { Destination } from '../discovery/resolver.js';
import type {
  AttemptChannel,
  AttemptObserver,
  AttemptOptions,
  Exchange,
  ExchangeTelemetry,
  PeerInfo,
} from '../layers/types.js';
import type { UpstreamTarget } from '../net/upstream-target.js';
import type { TraceHeaders } from '../telemetry/propagation.js';
import { Http1Attempts } from './attempts.js';
import type { ClientConnection } from './client-connection.js';
import { joinedHeaderValue, type MessageHead } from './head-parser.js';

/**
 * What the layers and the protocol code set on a request while it is handled. One per request:
 * a view of the request made for another destination (the gateway's, with the route's edits)
 * is built over the same state, so what is set through either is seen through both, and the
 * client connection, which holds the original, sees what the layers set on the view.
 */
export interface Http1RequestState {
  destination: Destination | undefined;
  upstream: UpstreamTarget | undefined;
  telemetry: ExchangeTelemetry | undefined;
  abortUpstream: () => void;
}

/** One HTTP/1 request as the layers see it. */
export class Http1Request implements Exchange {
  readonly protocol = 'http1' as const;

  constructor(
    readonly conn: ClientConnection,
    /** The head as it is forwarded (its target per the forward policy). */
    readonly head: MessageHead,
    /** The normalized path and query: what authorization, routing and metrics see. */
    readonly path: string,
    readonly direction: 'outbound' | 'inbound',
    readonly startedAt: number,
    private readonly state: Http1RequestState = {
      destination: undefined,
      upstream: undefined,
      telemetry: undefined,
      abortUpstream: noop,
    },
  ) {}

  /** This request's state, for a view of it to be built over (see {@link Http1RequestState}). */
  sharedState(): Http1RequestState {
    return this.state;
  }

  get destination(): Destination | undefined {
    return this.state.destination;
  }
  set destination(value: Destination | undefined) {
    this.state.destination = value;
  }
  get upstream(): UpstreamTarget | undefined {
    return this.state.upstream;
  }
  set upstream(value: UpstreamTarget | undefined) {
    this.state.upstream = value;
  }
  get telemetry(): ExchangeTelemetry | undefined {
    return this.state.telemetry;
  }
  set telemetry(value: ExchangeTelemetry | undefined) {
    this.state.telemetry = value;
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
