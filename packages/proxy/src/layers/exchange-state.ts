/**
 * The state the layers and the protocol code set on a request while it is handled, held apart
 * from the request object. One per request: a view of the request made for another destination
 * (the gateway's, with the route's edits: gateway/derived-http1.ts and derived-h2.ts) is built
 * over the same state, so what is set through either is seen through both, and the client side,
 * which holds the original, sees what the layers set on the view.
 */
import type { Destination } from '../discovery/resolver.js';
import type { UpstreamTarget } from '../net/upstream-target.js';
import type { ExchangeTelemetry } from './types.js';

export interface ExchangeState {
  destination: Destination | undefined;
  upstream: UpstreamTarget | undefined;
  telemetry: ExchangeTelemetry | undefined;
}

/** A request whose layer-set fields live in an {@link ExchangeState} a view of it can share. */
export abstract class SharedStateExchange<S extends ExchangeState> {
  constructor(protected readonly state: S) {}

  /** This request's state, for a view of it to be built over. */
  sharedState(): S {
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
}
