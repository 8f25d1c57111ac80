/** The proxy's named metrics, created once per proxy and passed to every component. */
import { createH2Metrics, type H2Metrics } from '../http2/h2-metrics.js';
import { ConnectionMetrics } from './connection-metrics.js';
import { type Counter, type CounterChild, type Histogram, MetricsRegistry } from './metrics-registry.js';

/** Pre-resolved request counters by status class (index = status / 100), one array per direction. */
export interface StatusCounters {
  readonly outbound: readonly CounterChild[];
  readonly inbound: readonly CounterChild[];
}

export interface ProxyMetrics {
  /** Hot-path view of `requests`: `statusCounters[direction][Math.floor(status / 100)]`. */
  readonly statusCounters: StatusCounters;
  readonly registry: MetricsRegistry;
  /** Accepted connections by listener (inbound, outbound, upstream). */
  readonly connections: Counter;
  /** Connections refused by listener and reason (max-connections, plaintext-strict, handshake, preamble, authz). */
  readonly connectionsRefused: Counter;
  /** HTTP requests by direction and status class. */
  readonly requests: Counter;
  /** Requests rejected before forwarding, by reason (bad-request, header-too-large, unavailable ...). */
  readonly requestErrors: Counter;
  /** Authorization denials by direction and policy. */
  readonly authzDenied: Counter;
  /** Request targets refused (400) by the normalizer, by direction and reason. */
  readonly requestTargetRejected: Counter;
  /** Connections to an L7 port refused instead of being relayed opaque, by listener and reason. */
  readonly l7Refused: Counter;
  /** Dials to other proxies refused because the server's identity was not the expected one. */
  readonly identityMismatch: Counter;
  /** Upstream dial failures by reason. */
  readonly dialFailures: Counter;
  /** Discovery stream events: connected, disconnected, ack, nack. */
  readonly discovery: Counter;
  /** Round-trip latency of proxied HTTP requests (ms). */
  readonly requestLatency: Histogram;
  /** TCP connections opened and closed with their bytes, and TLS handshakes. */
  readonly transport: ConnectionMetrics;
  /** HTTP/2 abuse and failure counters. */
  readonly h2: H2Metrics;
}

/** Creates the proxy metrics plus process gauges, with `open` reading the current open connection count. */
export function createProxyMetrics(open: () => number): ProxyMetrics {
  const registry = new MetricsRegistry();
  const requests = registry.counter(
    'weft_proxy_requests_total',
    'HTTP requests by direction and status class.',
  );
  const classes = (direction: string) =>
    [0, 1, 2, 3, 4, 5].map((c) => requests.labels({ direction, class: c === 0 ? 'other' : `${c}xx` }));
  const metrics: ProxyMetrics = {
    registry,
    statusCounters: { outbound: classes('outbound'), inbound: classes('inbound') },
    connections: registry.counter('weft_proxy_connections_total', 'Accepted connections by listener.'),
    connectionsRefused: registry.counter(
      'weft_proxy_connections_refused_total',
      'Connections refused by listener and reason.',
    ),
    requests,
    requestErrors: registry.counter(
      'weft_proxy_request_errors_total',
      'Requests answered by the proxy itself, by direction and reason.',
    ),
    authzDenied: registry.counter(
      'weft_proxy_authz_denied_total',
      'Authorization denials by direction and policy.',
    ),
    requestTargetRejected: registry.counter(
      'weft_proxy_request_target_rejected_total',
      'Request targets refused by path normalization, by direction and reason.',
    ),
    l7Refused: registry.counter(
      'weft_proxy_l7_refused_total',
      'Connections to a port with HTTP rules refused rather than relayed as opaque TCP, by listener and reason.',
    ),
    identityMismatch: registry.counter(
      'weft_proxy_identity_mismatch_total',
      'Dials refused because the peer certificate carried an unexpected identity.',
    ),
    dialFailures: registry.counter(
      'weft_proxy_dial_failures_total',
      'Upstream connection failures by reason.',
    ),
    discovery: registry.counter('weft_proxy_discovery_events_total', 'Discovery stream events by kind.'),
    requestLatency: registry.histogram(
      'weft_proxy_request_duration_ms',
      'Proxied HTTP request latency (ms).',
    ),
    transport: registry.register(new ConnectionMetrics()),
    h2: createH2Metrics(registry),
  };
  registry.gauge('weft_proxy_open_connections', 'Currently open client connections.', open);
  const startSeconds = Math.floor(Date.now() / 1000 - process.uptime());
  registry.gauge(
    'process_start_time_seconds',
    'When the process started (Unix seconds).',
    () => startSeconds,
  );
  registry.gauge('process_resident_memory_bytes', 'Resident set size in bytes.', () =>
    process.memoryUsage.rss(),
  );
  registry.gauge(
    'nodejs_heap_size_total_bytes',
    'V8 heap size in bytes.',
    () => process.memoryUsage().heapTotal,
  );
  registry.gauge(
    'nodejs_heap_size_used_bytes',
    'V8 heap in use in bytes.',
    () => process.memoryUsage().heapUsed,
  );
  registry.gauge(
    'nodejs_external_memory_bytes',
    'Memory held outside the V8 heap (buffers).',
    () => process.memoryUsage().external,
  );
  registry.gauge('process_cpu_seconds_total', 'CPU time used (user + system) in seconds.', () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  });
  return metrics;
}
