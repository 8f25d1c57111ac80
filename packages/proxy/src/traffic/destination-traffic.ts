/** Per-destination traffic state: the compiled plan, a balancer per backend, the retry budget and limits. */
import type { Destination__Output } from '@weft/api';
import {
  Balancer,
  type Clock,
  type DestinationPlan,
  OutlierDetector,
  planDestination,
  type Random,
  RequestLimiter,
  type ResolvedTrafficPolicy,
  RetryBudget,
} from '@weft/core';

import type { ConnectionPolicy } from '../http1/pool.js';
import type { TrafficMetrics } from './traffic-metrics.js';

type BackendMessage = Destination__Output['backends'][number];
/** One endpoint of a backend, as the control plane sent it. */
export type EndpointMessage = BackendMessage['endpoints'][number];

/** What the traffic state needs from the proxy. */
export interface TrafficDeps {
  readonly clock: Clock;
  readonly random: Random;
  /** Told once per Destination that does not compile (the old plan keeps serving). */
  readonly onRejected?: (authority: string, error: unknown) => void;
  /** Counts ejections; absent in unit tests. */
  readonly metrics?: TrafficMetrics;
}

/** The stable identity of an endpoint: where the proxy connects. */
export function endpointKey(e: EndpointMessage): string {
  const meshed = e.meshed?.inboundPort ?? 0;
  return meshed > 0 ? `${e.address}:${meshed}>${e.port}` : `${e.address}:${e.port}`;
}

/**
 * Everything the request path needs for one destination. Built from a Destination and
 * updated in place when a new one arrives for the same authority: balancers of backends
 * that stay keep their endpoints' load and outlier state; requests in flight keep the
 * plan and endpoint they already have.
 */
export class DestinationTraffic {
  private current: Destination__Output;
  private compiled: DestinationPlan;
  private readonly balancers = new Map<string, Balancer<EndpointMessage>>();
  private budgetOf: RetryBudget;
  private limiterOf: RequestLimiter;
  /** The last Destination that did not compile, so it is not compiled again per request. */
  private rejected: Destination__Output | undefined;

  /** Throws WeftError INVALID_CONFIG for a destination that does not compile. */
  constructor(
    destination: Destination__Output,
    private readonly deps: TrafficDeps,
  ) {
    this.current = destination;
    this.compiled = planDestination(destination);
    this.budgetOf = new RetryBudget(this.compiled.policy.retry.budget, deps.clock);
    this.limiterOf = limiterFor(this.compiled.policy);
    this.syncBalancers(undefined);
  }

  get destination(): Destination__Output {
    return this.current;
  }

  get plan(): DestinationPlan {
    return this.compiled;
  }

  /** The destination's retry budget (shared by all its routes). */
  get budget(): RetryBudget {
    return this.budgetOf;
  }

  /** The destination's limits on active and pending requests. */
  get limiter(): RequestLimiter {
    return this.limiterOf;
  }

  /** The destination's upstream connection limit and idle timeout (`limits.maxConnections`, `timeouts.idle`). */
  get connections(): ConnectionPolicy {
    const policy = this.compiled.policy;
    return {
      group: this.compiled.authority,
      maxConnections: policy.limits.maxConnections,
      idleTimeoutMs: policy.timeouts.idleMs,
    };
  }

  /** The balancer of a backend, by name (`<service>.<namespace>:<port>`). */
  balancer(backend: string): Balancer<EndpointMessage> | undefined {
    return this.balancers.get(backend);
  }

  /**
   * Applies a newer Destination for the same authority. When it does not compile, keeps
   * everything as it was, tells `onRejected` once, and returns false.
   */
  update(destination: Destination__Output): boolean {
    if (destination === this.current) return true;
    if (destination === this.rejected) return false;
    let plan: DestinationPlan;
    try {
      plan = planDestination(destination);
    } catch (err) {
      this.rejected = destination;
      this.deps.onRejected?.(destination.authority, err);
      return false;
    }
    const previous = this.compiled.policy;
    this.current = destination;
    this.compiled = plan;
    if (!sameJson(previous.retry.budget, plan.policy.retry.budget)) {
      this.budgetOf = new RetryBudget(plan.policy.retry.budget, this.deps.clock);
    }
    if (!sameJson(previous.limits, plan.policy.limits)) this.limiterOf = limiterFor(plan.policy);
    this.syncBalancers(previous);
    return true;
  }

  private syncBalancers(previous: ResolvedTrafficPolicy | undefined): void {
    const policy = this.compiled.policy;
    const rebuild =
      previous !== undefined &&
      (previous.loadBalancer !== policy.loadBalancer ||
        !sameJson(previous.outlierDetection, policy.outlierDetection));
    for (const name of [...this.balancers.keys()]) {
      if (rebuild || !this.compiled.backends.has(name)) this.balancers.delete(name);
    }
    for (const [name, backend] of this.compiled.backends) {
      let balancer = this.balancers.get(name);
      if (balancer === undefined) {
        const detector = new OutlierDetector(policy.outlierDetection, this.deps.clock);
        const metrics = this.deps.metrics;
        if (metrics !== undefined) {
          detector.onEvent = (e) => {
            if (e.type === 'ejected') metrics.ejections.inc({ backend: name, endpoint: e.key });
            else if (e.type === 'ejection-skipped') metrics.ejectionsSkipped.inc({ backend: name });
          };
        }
        balancer = new Balancer<EndpointMessage>({
          algorithm: policy.loadBalancer,
          clock: this.deps.clock,
          random: this.deps.random,
          outlierDetector: detector,
          ...(metrics === undefined ? {} : { onPanic: () => metrics.panics.inc({ backend: name }) }),
        });
        this.balancers.set(name, balancer);
      }
      // proto3 cannot tell an unset weight from 0; the contract says 0 means the default, 1.
      balancer.update(
        backend.endpoints.map((e) => ({
          key: endpointKey(e),
          value: e,
          weight: e.weight === 0 ? 1 : e.weight,
        })),
      );
    }
  }
}

function limiterFor(policy: ResolvedTrafficPolicy): RequestLimiter {
  return new RequestLimiter({
    maxRequests: policy.limits.maxRequests,
    maxPendingRequests: policy.limits.maxPendingRequests,
  });
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Traffic state by authority. `for` returns the state of a destination, compiling it the
 * first time and updating it when the resolver hands out a newer Destination object.
 */
export class TrafficRegistry {
  private readonly states = new Map<string, DestinationTraffic>();

  constructor(private readonly deps: TrafficDeps) {}

  /**
   * The state for `destination`. A state that existed keeps serving its last good plan when
   * a newer Destination does not compile. Throws WeftError INVALID_CONFIG only for a first
   * Destination that does not compile (the caller answers the request with the reason).
   */
  for(destination: Destination__Output): DestinationTraffic {
    const state = this.states.get(destination.authority);
    if (state === undefined) {
      const created = new DestinationTraffic(destination, this.deps);
      this.states.set(destination.authority, created);
      return created;
    }
    state.update(destination);
    return state;
  }

  /** Drops the state of an authority that is gone. */
  forget(authority: string): void {
    this.states.delete(authority);
  }

  /** Number of destinations with state. */
  get size(): number {
    return this.states.size;
  }
}
