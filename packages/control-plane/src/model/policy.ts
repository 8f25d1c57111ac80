/** weft policies in their wire form: TrafficPolicy -> the Destination's policy, retry configs, durations. */
import type { Destination, TrafficPolicyResource } from '@weft/api';

export type TrafficPolicyMessage = NonNullable<Destination['policy']>;
export type RetryPolicyMessage = NonNullable<TrafficPolicyMessage['retry']>;
export interface DurationMessage {
  seconds: string;
  nanos: number;
}

/** Milliseconds as a google.protobuf.Duration. */
export function durationOf(ms: number): DurationMessage {
  const whole = Math.floor(ms / 1000);
  return { seconds: String(whole), nanos: Math.round((ms - whole * 1000) * 1_000_000) };
}

const LB = {
  PeakEWMA: 'LOAD_BALANCER_PEAK_EWMA',
  RoundRobin: 'LOAD_BALANCER_ROUND_ROBIN',
  LeastRequest: 'LOAD_BALANCER_LEAST_REQUEST',
} as const;

type RetrySpec = NonNullable<TrafficPolicyResource['spec']['retry']>;

/** A TrafficPolicy's retry section in wire form. */
export function retryMessage(retry: RetrySpec, perTryFallbackMs?: number): RetryPolicyMessage {
  const perTry = retry.perTryTimeout ?? perTryFallbackMs;
  return {
    attempts: retry.attempts,
    conditions: [...retry.on],
    ...(retry.backoff === undefined
      ? {}
      : { backoff: { base: durationOf(retry.backoff.base), max: durationOf(retry.backoff.max) } }),
    ...(retry.budget === undefined
      ? {}
      : {
          budget: {
            ratio: retry.budget.ratio,
            minPerSecond: retry.budget.minPerSecond,
            ttl: durationOf(retry.budget.ttl),
          },
        }),
    ...(perTry === undefined ? {} : { perTryTimeout: durationOf(perTry) }),
    retryNonIdempotent: retry.nonIdempotent,
  };
}

/** A TrafficPolicy's spec in wire form; fields the policy leaves out stay unset (proxy defaults). */
export function trafficPolicyMessage(policy: TrafficPolicyResource): TrafficPolicyMessage {
  const s = policy.spec;
  const out: TrafficPolicyMessage = {};
  if (s.loadBalancer !== undefined) out.loadBalancer = LB[s.loadBalancer.type];
  if (s.timeouts !== undefined) {
    out.timeouts = {
      ...(s.timeouts.request === undefined ? {} : { request: durationOf(s.timeouts.request) }),
      ...(s.timeouts.perTry === undefined ? {} : { perTry: durationOf(s.timeouts.perTry) }),
      ...(s.timeouts.idle === undefined ? {} : { idle: durationOf(s.timeouts.idle) }),
    };
  }
  if (s.retry !== undefined) out.retry = retryMessage(s.retry, s.timeouts?.perTry);
  if (s.outlierDetection !== undefined) {
    out.outlierDetection = {
      consecutiveFailures: s.outlierDetection.consecutiveFailures,
      baseEjectionTime: durationOf(s.outlierDetection.baseEjectionTime),
      maxEjectionPercent: s.outlierDetection.maxEjectionPercent,
    };
  }
  if (s.limits !== undefined) {
    out.limits = {
      ...(s.limits.maxConnections === undefined ? {} : { maxConnections: s.limits.maxConnections }),
      ...(s.limits.maxPendingRequests === undefined
        ? {}
        : { maxPendingRequests: s.limits.maxPendingRequests }),
      ...(s.limits.maxRequests === undefined ? {} : { maxRequests: s.limits.maxRequests }),
    };
  }
  return out;
}
