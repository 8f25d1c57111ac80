/** Metrics of the traffic path, registered on the proxy's registry (served at /metrics). */
import type { Counter, MetricsRegistry } from '../metrics/registry.js';

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
  };
}
