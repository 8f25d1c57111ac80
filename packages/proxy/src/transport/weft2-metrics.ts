/** The weft.2 transport's counters, registered once per proxy metrics registry. */
import type { Counter, MetricsRegistry } from '../telemetry/metrics-registry.js';

/** Counters of weft.2 connections, streams and protocol errors. */
export interface Weft2Metrics {
  /** weft.2 connections closed for a protocol violation, by reason (unknown-type, window-violation ...). */
  readonly protocolErrors: Counter;
  /** weft.2 connections opened, by side (client, server). */
  readonly sessions: Counter;
  /** weft.2 streams opened, by side. */
  readonly streams: Counter;
}

const byRegistry = new WeakMap<MetricsRegistry, Weft2Metrics>();

/** The weft.2 counters of `registry` (created on first use; the connector and the inbound listener share them). */
export function weft2Metrics(registry: MetricsRegistry): Weft2Metrics {
  let m = byRegistry.get(registry);
  if (m === undefined) {
    m = {
      protocolErrors: registry.counter(
        'weft_proxy_weft2_protocol_errors_total',
        'weft.2 connections closed for a protocol violation, by reason.',
      ),
      sessions: registry.counter('weft_proxy_weft2_connections_total', 'weft.2 connections opened, by side.'),
      streams: registry.counter('weft_proxy_weft2_streams_total', 'weft.2 streams opened, by side.'),
    };
    byRegistry.set(registry, m);
  }
  return m;
}
