/**
 * Per-destination traffic state: the compiled plan, a balancer per backend, the retry budget and
 * limits. Discovery installs a destination's state when it is pushed (compiled once, at push)
 * and forgets it when the destination is removed; the request path only reads it.
 */
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

import type { AttemptOptions } from '../layers/types.js';
import type { ConnectionPolicy } from '../net/upstream-target.js';
import { type UpstreamTarget, upstreamTarget } from '../net/upstream-target.js';
import type { TrafficMetrics } from './traffic-metrics.js';

type BackendMessage = Destination__Output['backends'][number];
/** One endpoint of a backend, as the control plane sent it. */
export type EndpointMessage = BackendMessage['endpoints'][number];

/** What the traffic state needs from the proxy. */
export interface TrafficDeps {
  readonly clock: Clock;
  readonly random: Random;
  /**
   * Told once per Destination that does not compile on the request path (only when no discovery
   * state feeds the registry: a pushed one is checked, and NACKed, at push).
   */
  readonly onRejected?: (authority: string, error: unknown) => void;
  /** Counts ejections; absent in unit tests. */
  readonly metrics?: TrafficMetrics;
}

/**
 * An endpoint as the balancers hold it: the pushed message plus where the proxy connects,
 * computed once at push (the request path uses `target` instead of building one per request).
 */
export interface PlannedEndpoint extends EndpointMessage {
  readonly target: UpstreamTarget;
}

/** The upstream target of an endpoint: meshed endpoints are dialed at their proxy's inbound port with mTLS. */
export function plannedEndpoint(e: EndpointMessage): PlannedEndpoint {
  const meshed = e.meshed?.inboundPort ?? 0;
  return { ...e, target: upstreamTarget(e.address, e.port, meshed > 0 ? e.identity : '', meshed) };
}

/** The stable identity of an endpoint: where the proxy connects. */
export function endpointKey(e: EndpointMessage): string {
  const meshed = e.meshed?.inboundPort ?? 0;
  return meshed > 0 ? `${e.address}:${meshed}>${e.port}` : `${e.address}:${e.port}`;
}

/** A Destination with the plan compiled from it (by discovery, when it was pushed). */
export interface CompiledDestination {
  readonly destination: Destination__Output;
  readonly plan: DestinationPlan;
}

/**
 * Everything the request path needs for one destination. Built from a compiled Destination and
 * updated in place when a new one arrives for the same authority: balancers of backends
 * that stay keep their endpoints' load and outlier state; requests in flight keep the
 * plan and endpoint they already have.
 */
export class DestinationTraffic {
  private current: Destination__Output;
  private compiled: DestinationPlan;
  private readonly balancers = new Map<string, Balancer<PlannedEndpoint>>();
  private budgetOf: RetryBudget;
  private limiterOf: RequestLimiter;
  private attemptOptionsOf: AttemptOptions | undefined;
  private optionsPlan: DestinationPlan | undefined;
  /** The last Destination that did not compile, so it is not compiled again per request. */
  private rejected: Destination__Output | undefined;

  constructor(
    compiled: CompiledDestination,
    private readonly deps: TrafficDeps,
  ) {
    this.current = compiled.destination;
    this.compiled = compiled.plan;
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
    return this.attemptOptions.connections as ConnectionPolicy;
  }

  /** How this destination's requests are attempted (balanced, numbered, its connection limits). */
  get attemptOptions(): AttemptOptions {
    // Built once per compiled plan, not per request.
    if (this.attemptOptionsOf === undefined || this.optionsPlan !== this.compiled) {
      const policy = this.compiled.policy;
      const connections: ConnectionPolicy = {
        group: this.compiled.authority,
        maxConnections: policy.limits.maxConnections,
        idleTimeoutMs: policy.timeouts.idleMs,
      };
      this.attemptOptionsOf = { markAttempt: true, connections, retries: true };
      this.optionsPlan = this.compiled;
    }
    return this.attemptOptionsOf;
  }

  /** The balancer of a backend, by name (`<service>.<namespace>:<port>`). */
  balancer(backend: string): Balancer<PlannedEndpoint> | undefined {
    return this.balancers.get(backend);
  }

  /**
   * Applies a newer Destination for the same authority, compiling it first (the request path
   * of a registry that discovery does not feed). When it does not compile, keeps everything
   * as it was, tells `onRejected` once, and returns false.
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
    this.apply({ destination, plan });
    return true;
  }

  /**
   * Applies an already compiled Destination now: backends that stay keep their balancer, and
   * endpoints that stay keep their load and outlier (ejection) state; budget and limits are
   * replaced only when their config changed.
   */
  apply(compiled: CompiledDestination): void {
    if (compiled.destination === this.current) return;
    const plan = compiled.plan;
    const previous = this.compiled.policy;
    this.current = compiled.destination;
    this.compiled = plan;
    this.rejected = undefined;
    if (!sameJson(previous.retry.budget, plan.policy.retry.budget)) {
      this.budgetOf = new RetryBudget(plan.policy.retry.budget, this.deps.clock);
    }
    if (!sameJson(previous.limits, plan.policy.limits)) this.limiterOf = limiterFor(plan.policy);
    this.syncBalancers(previous);
  }

  /** Number of backends with a balancer (for inspection). */
  get balancerCount(): number {
    return this.balancers.size;
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
        balancer = new Balancer<PlannedEndpoint>({
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
          value: plannedEndpoint(e),
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

/** What a registry holds, for /config and tests. */
export interface TrafficRegistryStats {
  /** Destinations with traffic state. */
  readonly destinations: number;
  /** Balancers across those destinations (one per backend). */
  readonly balancers: number;
  /** Requests whose destination had no installed state and were served from a one-off compile. */
  readonly compiledOnRequest: number;
}

/**
 * Traffic state by authority. Fed by discovery ({@link install} on push, {@link forget} on
 * removal), `for` is a map read on the request path. A registry no discovery state feeds
 * (tests, a proxy without a control plane) compiles on first use and keeps the state.
 */
export class TrafficRegistry {
  private readonly states = new Map<string, DestinationTraffic>();
  private fed = false;
  private oneOff = 0;

  constructor(private readonly deps: TrafficDeps) {}

  /**
   * Installs (or updates in place) the state of a destination compiled at push. From the first
   * install on, the registry is discovery's: the request path never compiles into it.
   */
  install(compiled: CompiledDestination): DestinationTraffic {
    this.fed = true;
    const authority = compiled.destination.authority;
    const state = this.states.get(authority);
    if (state !== undefined) {
      state.apply(compiled);
      return state;
    }
    const created = new DestinationTraffic(compiled, this.deps);
    this.states.set(authority, created);
    return created;
  }

  /**
   * The state for `destination`'s authority. When discovery feeds the registry and the state is
   * gone (the destination was removed while this request was being resolved), a one-off state
   * serves the request and is not kept. Unfed, the first use compiles and keeps the state, and a
   * newer Destination updates it (keeping the last good plan when it does not compile). Throws
   * WeftError INVALID_CONFIG only for a Destination that has no state and does not compile.
   */
  for(destination: Destination__Output): DestinationTraffic {
    const state = this.states.get(destination.authority);
    if (this.fed) {
      if (state !== undefined) return state;
      this.oneOff++;
      return new DestinationTraffic({ destination, plan: planDestination(destination) }, this.deps);
    }
    if (state === undefined) {
      const created = new DestinationTraffic({ destination, plan: planDestination(destination) }, this.deps);
      this.states.set(destination.authority, created);
      return created;
    }
    state.update(destination);
    return state;
  }

  /** The installed state of `authority`, if any (no compiling). */
  get(authority: string): DestinationTraffic | undefined {
    return this.states.get(authority);
  }

  /** Drops the state of an authority that is gone (in-flight requests keep what they hold). */
  forget(authority: string): void {
    this.states.delete(authority);
  }

  /** Number of destinations with state. */
  get size(): number {
    return this.states.size;
  }

  /** Counts for /config and tests. */
  stats(): TrafficRegistryStats {
    let balancers = 0;
    for (const s of this.states.values()) balancers += s.balancerCount;
    return { destinations: this.states.size, balancers, compiledOnRequest: this.oneOff };
  }
}
