/**
 * The control plane's own numbers for the dashboard, from its Prometheus registry read twice:
 * Certify rate and failures, push latency, streams, ACKs/NACKs, and the CA's expiry. Pure.
 */
import { histogramBuckets, histogramQuantile, type Sample, sumSamples } from '@weft/runtime';

/** The counters kept between two refreshes. */
export interface ControlPlaneCounters {
  readonly issued: number;
  readonly failures: ReadonlyMap<string, number>;
  readonly pushes: number;
  readonly nacks: number;
  readonly acks: number;
  readonly overflows: number;
  readonly streamErrors: ReadonlyMap<string, number>;
  readonly pushLatency: ReadonlyArray<{ le: number; count: number }>;
  readonly connected: number;
  readonly subscriptions: number;
  readonly issuerExpirySeconds: number | undefined;
}

/** What the control-plane page shows (rates per second over the last interval). */
export interface ControlPlaneStats {
  readonly certifyPerSecond: number;
  readonly certifyFailuresPerSecond: Readonly<Record<string, number>>;
  readonly certifyFailuresTotal: Readonly<Record<string, number>>;
  readonly pushesPerSecond: number;
  readonly pushLatencyP50Ms: number | null;
  readonly pushLatencyP99Ms: number | null;
  readonly acksPerSecond: number;
  readonly nacksPerSecond: number;
  readonly connectedProxies: number;
  readonly subscriptions: number;
  readonly streamOverflowsTotal: number;
  readonly streamErrorsTotal: Readonly<Record<string, number>>;
}

function byLabel(samples: readonly Sample[], name: string, label: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of samples) {
    if (s.name !== name) continue;
    const k = s.labels[label] ?? '';
    out.set(k, (out.get(k) ?? 0) + s.value);
  }
  return out;
}

/** Reads the counters from the control plane's registry samples. */
export function controlPlaneCounters(samples: readonly Sample[]): ControlPlaneCounters {
  const issuer = samples.find((s) => s.name === 'weft_identity_issuer_expiry_seconds');
  return {
    issued: sumSamples(samples, 'weft_identity_certificates_issued_total'),
    failures: byLabel(samples, 'weft_identity_certify_failures_total', 'reason'),
    pushes: sumSamples(samples, 'weft_control_plane_pushes_total'),
    nacks: sumSamples(samples, 'weft_control_plane_nacks_total'),
    acks: sumSamples(samples, 'weft_control_plane_acks_total'),
    overflows: sumSamples(samples, 'weft_control_plane_stream_overflows_total'),
    streamErrors: byLabel(samples, 'weft_control_plane_stream_errors_total', 'reason'),
    pushLatency: histogramBuckets(samples, 'weft_control_plane_push_latency_seconds'),
    connected: sumSamples(samples, 'weft_control_plane_connected_proxies'),
    subscriptions: sumSamples(samples, 'weft_control_plane_subscriptions'),
    issuerExpirySeconds: issuer?.value,
  };
}

const rate = (a: number, b: number | undefined, s: number) =>
  b === undefined || s <= 0 ? 0 : Math.max(0, a - b) / s;

/** The stats between two readings `seconds` apart (rates are 0 on the first reading). */
export function controlPlaneStats(
  now: ControlPlaneCounters,
  before: ControlPlaneCounters | undefined,
  seconds: number,
): ControlPlaneStats {
  const latency = now.pushLatency.map((b) => {
    const prev = before?.pushLatency.find((p) => p.le === b.le)?.count ?? 0;
    return { le: b.le, count: Math.max(0, b.count - prev) };
  });
  const ms = (q: number) => {
    const v = histogramQuantile(q, latency);
    return v === undefined ? null : v * 1000;
  };
  return {
    certifyPerSecond: rate(now.issued, before?.issued, seconds),
    certifyFailuresPerSecond: Object.fromEntries(
      [...now.failures].map(([k, v]) => [k, rate(v, before?.failures.get(k) ?? 0, before ? seconds : 0)]),
    ),
    certifyFailuresTotal: Object.fromEntries(now.failures),
    pushesPerSecond: rate(now.pushes, before?.pushes, seconds),
    pushLatencyP50Ms: ms(0.5),
    pushLatencyP99Ms: ms(0.99),
    acksPerSecond: rate(now.acks, before?.acks, seconds),
    nacksPerSecond: rate(now.nacks, before?.nacks, seconds),
    connectedProxies: now.connected,
    subscriptions: now.subscriptions,
    streamOverflowsTotal: now.overflows,
    streamErrorsTotal: Object.fromEntries(now.streamErrors),
  };
}
