/** HTTP/2 abuse and failure counters: sessions closed for abuse, session errors, stream resets and GOAWAYs by side. */
import type { Counter, MetricsRegistry } from '../telemetry/metrics-registry.js';

/** Which end of the proxy an HTTP/2 event came from: the client of the sidecar, or the upstream it dialled. */
export type H2Side = 'client' | 'upstream';

/** Counters for HTTP/2 events; created once per proxy (see {@link createH2Metrics}). */
export interface H2Metrics {
  /** Client connections the proxy ended with GOAWAY ENHANCE_YOUR_CALM, by direction and reason (`rapid-reset`). */
  readonly sessionsRejected: Counter;
  /** Session 'error' events (floods, protocol errors, limits nghttp2 enforced), by side and Node error code. */
  readonly sessionErrors: Counter;
  /** Streams reset by the peer (RST_STREAM, non-zero code), by side and code name. */
  readonly streamResets: Counter;
  /** GOAWAY frames received, by side and code name. */
  readonly goawayReceived: Counter;
}

export function createH2Metrics(registry: MetricsRegistry): H2Metrics {
  return {
    sessionsRejected: registry.counter(
      'weft_proxy_h2_sessions_rejected_total',
      'HTTP/2 client connections closed with GOAWAY ENHANCE_YOUR_CALM, by direction and reason.',
    ),
    sessionErrors: registry.counter(
      'weft_proxy_h2_session_errors_total',
      'HTTP/2 session errors by side (client, upstream) and error code.',
    ),
    streamResets: registry.counter(
      'weft_proxy_h2_stream_resets_total',
      'HTTP/2 streams reset by the peer, by side (client, upstream) and RST_STREAM code.',
    ),
    goawayReceived: registry.counter(
      'weft_proxy_h2_goaway_received_total',
      'HTTP/2 GOAWAY frames received, by side (client, upstream) and code.',
    ),
  };
}
