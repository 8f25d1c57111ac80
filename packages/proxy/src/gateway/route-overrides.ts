/**
 * An HTTPRoute rule's own timeouts and retry policy, applied over the backend service's when the
 * traffic layer has chosen the service's route: `timeouts.request` bounds the whole request
 * (retries included), `timeouts.backendRequest` each attempt, and the rule's retry policy
 * replaces the service's. Keyed by the exchange the gateway hands on.
 */
import type { RetryPolicy } from '@weft/core';
import type { Exchange } from '../layers/types.js';
import type { RouteChoice } from '../traffic/traffic-call.js';

export interface RouteOverrides {
  /** NaN: the service's. */
  readonly requestTimeoutMs: number;
  /** NaN: the service's per-try timeout. */
  readonly backendRequestTimeoutMs: number;
  readonly retry: RetryPolicy | undefined;
}

export class RouteOverrideTable {
  private readonly byExchange = new WeakMap<Exchange, RouteOverrides>();

  set(req: Exchange, overrides: RouteOverrides): void {
    this.byExchange.set(req, overrides);
  }

  /** The traffic layer's hook (see TrafficLayerOptions.adjust). */
  readonly adjust = (req: Exchange, choice: RouteChoice): RouteChoice => {
    const o = this.byExchange.get(req);
    if (o === undefined) return choice;
    const base = o.retry ?? choice.retry;
    const retry = Number.isNaN(o.backendRequestTimeoutMs)
      ? base
      : { ...base, perTryTimeoutMs: o.backendRequestTimeoutMs };
    const timeoutMs = Number.isNaN(o.requestTimeoutMs) ? choice.timeoutMs : o.requestTimeoutMs;
    if (retry === choice.retry && timeoutMs === choice.timeoutMs) return choice;
    return { ...choice, retry, timeoutMs };
  };
}

/** Overrides that change nothing (a rule without timeouts or retry). */
export function noOverrides(o: RouteOverrides): boolean {
  return Number.isNaN(o.requestTimeoutMs) && Number.isNaN(o.backendRequestTimeoutMs) && o.retry === undefined;
}
