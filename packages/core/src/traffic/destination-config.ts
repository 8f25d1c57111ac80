/** Turns a Destination from the discovery stream into model routes and a traffic policy with defaults filled in. */
import type {
  Backend,
  Destination__Output,
  RetryConfig,
  Route,
  RouteMatch,
  TrafficPolicyConfig,
  ValueMatch,
} from '@weft/api';
import { WeftError } from '../errors.js';

type RouteMessage = Destination__Output['routes'][number];
type PolicyMessage = NonNullable<Destination__Output['policy']>;
type RetryMessage = NonNullable<PolicyMessage['retry']>;
type DurationMessage = { readonly seconds: string; readonly nanos: number };

/** The defaults that apply where neither a TrafficPolicy nor a route says otherwise. */
export const DEFAULT_RETRY: RetryConfig = {
  attempts: 3,
  on: ['connect-failure', 'refused-stream', 'reset', 'gateway-error'],
  backoff: { baseMs: 25, maxMs: 250 },
  budget: { ratio: 0.2, minPerSecond: 10, ttlMs: 10_000 },
  nonIdempotent: false,
};

/** A policy with every field resolved. */
export interface ResolvedTrafficPolicy extends TrafficPolicyConfig {
  readonly timeouts: { readonly requestMs?: number; readonly perTryMs?: number; readonly idleMs: number };
  readonly retry: RetryConfig;
  readonly outlierDetection: NonNullable<TrafficPolicyConfig['outlierDetection']>;
  readonly limits: {
    readonly maxConnections: number;
    readonly maxPendingRequests: number;
    readonly maxRequests: number;
  };
}

export const DEFAULT_TRAFFIC_POLICY: ResolvedTrafficPolicy = {
  loadBalancer: 'PeakEWMA',
  timeouts: { idleMs: 300_000 },
  retry: DEFAULT_RETRY,
  outlierDetection: { consecutiveFailures: 5, baseEjectionTimeMs: 30_000, maxEjectionPercent: 50 },
  limits: { maxConnections: 1024, maxPendingRequests: 1024, maxRequests: 1024 },
};

/** A google.protobuf.Duration in milliseconds; undefined when unset. */
export function durationMs(d: DurationMessage | null | undefined): number | undefined {
  if (d === null || d === undefined) return undefined;
  const ms = Number(d.seconds) * 1000 + d.nanos / 1e6;
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

/** `<service>.<namespace>:<port>`, the key of a backend in Destination.backends. */
export function backendName(b: Pick<Backend, 'service' | 'namespace' | 'port'>): string {
  return `${b.service}.${b.namespace}:${b.port}`;
}

const LB: Record<string, TrafficPolicyConfig['loadBalancer']> = {
  LOAD_BALANCER_PEAK_EWMA: 'PeakEWMA',
  LOAD_BALANCER_ROUND_ROBIN: 'RoundRobin',
  LOAD_BALANCER_LEAST_REQUEST: 'LeastRequest',
};

/**
 * Resolves a wire retry policy. Proto3 cannot tell 0 from unset, so 0 attempts, an empty
 * condition list and a missing backoff, budget or ttl take the defaults; `fallbackPerTryMs`
 * (the policy's `timeouts.perTry`) applies when the retry names no per-try timeout.
 */
export function retryFromProto(r: RetryMessage | null | undefined, fallbackPerTryMs?: number): RetryConfig {
  const perTry = durationMs(r?.perTryTimeout) ?? fallbackPerTryMs;
  if (r === null || r === undefined) {
    return perTry === undefined ? DEFAULT_RETRY : { ...DEFAULT_RETRY, perTryTimeoutMs: perTry };
  }
  const d = DEFAULT_RETRY;
  return {
    attempts: r.attempts > 0 ? r.attempts : d.attempts,
    on: r.conditions.length > 0 ? [...r.conditions] : d.on,
    ...(perTry === undefined ? {} : { perTryTimeoutMs: perTry }),
    backoff: {
      baseMs: durationMs(r.backoff?.base) || d.backoff.baseMs,
      maxMs: durationMs(r.backoff?.max) || d.backoff.maxMs,
    },
    budget:
      r.budget === null
        ? d.budget
        : {
            ratio: r.budget.ratio,
            minPerSecond: r.budget.minPerSecond,
            ttlMs: durationMs(r.budget.ttl) || d.budget.ttlMs,
          },
    nonIdempotent: r.retryNonIdempotent,
  };
}

/** Resolves a wire TrafficPolicy (or none) against {@link DEFAULT_TRAFFIC_POLICY}; 0 means unset for limits. */
export function trafficPolicyFromProto(p: PolicyMessage | null | undefined): ResolvedTrafficPolicy {
  const d = DEFAULT_TRAFFIC_POLICY;
  if (p === null || p === undefined) return d;
  const requestMs = durationMs(p.timeouts?.request);
  const perTryMs = durationMs(p.timeouts?.perTry);
  const od = p.outlierDetection;
  return {
    loadBalancer: LB[p.loadBalancer] ?? d.loadBalancer,
    timeouts: {
      ...(requestMs === undefined ? {} : { requestMs }),
      ...(perTryMs === undefined ? {} : { perTryMs }),
      idleMs: durationMs(p.timeouts?.idle) ?? d.timeouts.idleMs,
    },
    retry: retryFromProto(p.retry, perTryMs),
    outlierDetection:
      od === null
        ? d.outlierDetection
        : {
            consecutiveFailures: od.consecutiveFailures || d.outlierDetection.consecutiveFailures,
            baseEjectionTimeMs: durationMs(od.baseEjectionTime) || d.outlierDetection.baseEjectionTimeMs,
            maxEjectionPercent: od.maxEjectionPercent,
          },
    limits: {
      maxConnections: p.limits?.maxConnections || d.limits.maxConnections,
      maxPendingRequests: p.limits?.maxPendingRequests || d.limits.maxPendingRequests,
      maxRequests: p.limits?.maxRequests || d.limits.maxRequests,
    },
  };
}

/**
 * The destination's routes as model routes. No routes means one catch-all route to the
 * service itself. Throws WeftError INVALID_CONFIG (`routes[i].backends[j]`) for a route
 * naming a backend the destination does not carry.
 */
export function routesFromDestination(dest: Destination__Output, policy: ResolvedTrafficPolicy): Route[] {
  if (dest.routes.length === 0) {
    const self: Backend = { service: dest.service, namespace: dest.namespace, port: dest.port, weight: 1 };
    return [
      {
        name: 'default',
        matches: [],
        backends: [self],
        ...(policy.timeouts.requestMs === undefined ? {} : { timeoutMs: policy.timeouts.requestMs }),
        retry: policy.retry,
      },
    ];
  }
  const byName = new Map(dest.backends.map((b) => [b.name, b]));
  return dest.routes.map((r, i) => routeFromProto(r, i, byName, policy));
}

function routeFromProto(
  r: RouteMessage,
  i: number,
  byName: ReadonlyMap<string, Destination__Output['backends'][number]>,
  policy: ResolvedTrafficPolicy,
): Route {
  const backends = r.backends.map((wb, j): Backend => {
    const b = byName.get(wb.backend);
    if (b === undefined) {
      throw new WeftError(
        'INVALID_CONFIG',
        `routes[${i}].backends[${j}]: unknown backend ${JSON.stringify(wb.backend)}`,
      );
    }
    return { service: b.service, namespace: b.namespace, port: b.port, weight: wb.weight };
  });
  const timeoutMs = durationMs(r.requestTimeout) ?? policy.timeouts.requestMs;
  return {
    name: r.name || `route-${i}`,
    matches: r.matches.map(matchFromProto),
    backends,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    retry: r.retry === null ? policy.retry : retryFromProto(r.retry, policy.timeouts.perTryMs),
  };
}

/**
 * A RouteMatch from the Discovery proto (a Destination's route or a GatewayRoute: the same
 * message) as the model's match; a path without a value is "/" for a prefix, "" otherwise.
 */
export function matchFromProto(m: RouteMessage['matches'][number]): RouteMatch {
  const p = m.path;
  const path =
    p?.kind === 'exact'
      ? { type: 'exact' as const, value: p.exact ?? '' }
      : p?.kind === 'regex'
        ? { type: 'regex' as const, value: p.regex ?? '' }
        : p?.kind === 'prefix'
          ? { type: 'prefix' as const, value: p.prefix ?? '/' }
          : undefined;
  const values = (list: RouteMessage['matches'][number]['headers']): ValueMatch[] =>
    list.map((h) =>
      h.kind === 'regex'
        ? { name: h.name, type: 'regex', value: h.regex ?? '' }
        : { name: h.name, type: 'exact', value: h.exact ?? '' },
    );
  return {
    ...(path === undefined ? {} : { path }),
    ...(m.method === '' ? {} : { method: m.method }),
    headers: values(m.headers),
    queryParams: values(m.queryParams),
  };
}
