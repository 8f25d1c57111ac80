/** The gateway's own series (`weft_gateway_*`), beside the proxy's request and connection metrics. */
import type { Counter, MetricsRegistry } from '../metrics/registry.js';

export interface GatewayMetrics {
  /** {listener, route, code}: every response, made by the backend or by the gateway. */
  readonly requests: Counter;
  /** {port, result: ok | failed}. */
  readonly handshakes: Counter;
  /** {port, reason}: handshakes that failed, by why. */
  readonly handshakeFailures: Counter;
  /** {source: discovery | file}. */
  readonly configApplied: Counter;
  /** {source}. */
  readonly configRejected: Counter;
  /** {result: sent | failed | skipped-body | skipped-concurrency}. */
  readonly mirrors: Counter;
  /** {reason}: connections refused before HTTP (not HTTP, port gone, ...). */
  readonly connectionsRefused: Counter;
}

export function createGatewayMetrics(registry: MetricsRegistry): GatewayMetrics {
  return {
    requests: registry.counter(
      'weft_gateway_requests_total',
      'Gateway responses by listener, route and HTTP status code.',
    ),
    handshakes: registry.counter(
      'weft_gateway_tls_handshakes_total',
      'Client TLS handshakes by port and result.',
    ),
    handshakeFailures: registry.counter(
      'weft_gateway_tls_handshake_failures_total',
      'Client TLS handshakes that failed, by port and reason.',
    ),
    configApplied: registry.counter(
      'weft_gateway_config_applied_total',
      'Gateway configs applied, by source.',
    ),
    configRejected: registry.counter(
      'weft_gateway_config_rejected_total',
      'Gateway configs rejected (the last good one kept serving), by source.',
    ),
    mirrors: registry.counter('weft_gateway_mirror_requests_total', 'Mirrored requests by result.'),
    connectionsRefused: registry.counter(
      'weft_gateway_connections_refused_total',
      'Client connections closed before HTTP, by reason.',
    ),
  };
}
