/** Metrics of the traffic path, registered on the proxy's registry (served at /metrics). */
import type { AttemptOutcome, RetryStopReason } from '@weft/core';
import type { Counter, CounterChild, MetricsRegistry } from '../telemetry/metrics-registry.js';

export interface TrafficMetrics {
  /** Upstream attempts by backend and outcome (2xx..5xx, grpc-<code>, connect-failure, reset, timeout, rejected ...). */
  readonly attempts: Counter;
  /** Retries made, by backend. */
  readonly retries: Counter;
  /** Why a failed attempt was not retried, by backend and reason (budget-exhausted, non-idempotent ...). */
  readonly retryStops: Counter;
  /** Outlier ejections by backend and endpoint, and ejections the percentage cap prevented. */
  readonly ejections: Counter;
  readonly ejectionsSkipped: Counter;
  /** Times a backend's balancer entered panic mode (no healthy endpoint; ejected ones tried too). */
  readonly panics: Counter;
  /** Destinations whose traffic config did not compile (the last good one kept serving). */
  readonly configRejected: Counter;
  /** Requests resent on a fresh connection after a reused keep-alive one closed unanswered, by direction. */
  readonly staleResends: Counter;
}

export function createTrafficMetrics(registry: MetricsRegistry): TrafficMetrics {
  return {
    attempts: registry.counter(
      'weft_proxy_upstream_attempts_total',
      'Upstream attempts by backend and outcome.',
    ),
    retries: registry.counter('weft_proxy_retries_total', 'Retries by backend.'),
    retryStops: registry.counter(
      'weft_proxy_retry_stops_total',
      'Failed attempts that were not retried, by backend and reason.',
    ),
    ejections: registry.counter(
      'weft_proxy_outlier_ejections_total',
      'Outlier ejections by backend and endpoint.',
    ),
    ejectionsSkipped: registry.counter(
      'weft_proxy_outlier_ejections_skipped_total',
      'Ejections refused by maxEjectionPercent, by backend.',
    ),
    panics: registry.counter(
      'weft_proxy_balancer_panics_total',
      'Times a backend had no healthy endpoint and tried ejected ones (panic mode), by backend.',
    ),
    configRejected: registry.counter(
      'weft_proxy_traffic_config_rejected_total',
      'Destinations whose traffic config was rejected, by authority.',
    ),
    staleResends: registry.counter(
      'weft_proxy_stale_connection_resends_total',
      'Requests resent once on a fresh connection because the reused keep-alive connection closed before any response byte, by direction.',
    ),
  };
}

/** A metrics label for an attempt's outcome: the status class, a failed gRPC status, or the failure kind. */
export function outcomeLabel(outcome: AttemptOutcome): string {
  if (outcome.type !== 'response') return outcome.type;
  const grpc = outcome.grpcStatus;
  return grpc !== undefined && grpc !== 0 ? `grpc-${grpc}` : `${Math.floor(outcome.status / 100)}xx`;
}

/**
 * The traffic path's counters of one backend, resolved once per backend and label value (not
 * per request: no label object or series lookup on the hot path).
 */
export class BackendCounters {
  private readonly attempts = new Map<string, CounterChild>();
  private readonly stops = new Map<string, CounterChild>();
  private readonly retries: CounterChild;
  /** The label of each 2xx..5xx status class, by class. */
  private readonly byClass: CounterChild[] = [];

  constructor(
    private readonly metrics: TrafficMetrics,
    private readonly name: string,
  ) {
    this.retries = metrics.retries.labels({ backend: name });
  }

  attempt(outcome: AttemptOutcome): void {
    if (outcome.type === 'response' && (outcome.grpcStatus === undefined || outcome.grpcStatus === 0)) {
      const cls = Math.floor(outcome.status / 100);
      let child = this.byClass[cls];
      if (child === undefined) {
        child = this.metrics.attempts.labels({ backend: this.name, outcome: `${cls}xx` });
        this.byClass[cls] = child;
      }
      child.inc();
      return;
    }
    const label = outcomeLabel(outcome);
    let child = this.attempts.get(label);
    if (child === undefined) {
      child = this.metrics.attempts.labels({ backend: this.name, outcome: label });
      this.attempts.set(label, child);
    }
    child.inc();
  }

  retried(n: number): void {
    this.retries.inc(n);
  }

  stopped(reason: RetryStopReason): void {
    let child = this.stops.get(reason);
    if (child === undefined) {
      child = this.metrics.retryStops.labels({ backend: this.name, reason });
      this.stops.set(reason, child);
    }
    child.inc();
  }
}

const MAX_CACHED_BACKENDS = 4096;

/** Pre-resolved handles of the traffic metrics for the whole proxy. Backends are cached by name. */
export class TrafficCounters {
  private readonly backends = new Map<string, BackendCounters>();
  private readonly stale: Record<'inbound' | 'outbound', CounterChild>;

  constructor(private readonly metrics: TrafficMetrics) {
    this.stale = {
      inbound: metrics.staleResends.labels({ direction: 'inbound' }),
      outbound: metrics.staleResends.labels({ direction: 'outbound' }),
    };
  }

  backend(name: string): BackendCounters {
    let b = this.backends.get(name);
    if (b === undefined) {
      // Bounded under destination churn: handles are a cache, the series stay in the registry.
      if (this.backends.size >= MAX_CACHED_BACKENDS) this.backends.clear();
      b = new BackendCounters(this.metrics, name);
      this.backends.set(name, b);
    }
    return b;
  }

  /** Forgets a backend's handles (its destination was removed). */
  forget(name: string): void {
    this.backends.delete(name);
  }

  staleResend(direction: 'inbound' | 'outbound'): void {
    this.stale[direction].inc();
  }
}
