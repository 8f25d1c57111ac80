/**
 * Golden metrics per service (requests per second, success rate, latency percentiles) from
 * the proxies' own metrics: the inbound side of every proxy of a service, two scrapes apart
 * (or since each proxy started). Pure: scrapes in, rows out.
 */

import { histogramBuckets, histogramQuantile, type Sample, sumSamples } from '@weft/runtime';
import { renderTable } from '../cli-kit/table.js';

/** One proxy's metrics as gathered by the control plane. */
export type ProxyScrape =
  | {
      readonly ok: true;
      readonly namespace: string;
      readonly workload: string;
      readonly service: string;
      readonly samples: readonly Sample[];
      /** When the scrape was taken (Unix ms). */
      readonly at: number;
    }
  | {
      readonly ok: false;
      readonly namespace: string;
      readonly workload: string;
      readonly service: string;
      readonly error: string;
    };

/** The golden metrics of one service. */
export interface ServiceStats {
  readonly namespace: string;
  readonly service: string;
  /** Proxies of the service that answered. */
  readonly proxies: number;
  /** Proxies of the service that could not be scraped. */
  readonly unreachable: number;
  /** Requests finished in the window. */
  readonly requests: number;
  readonly requestsPerSecond: number;
  /** 0..1; undefined without requests. */
  readonly successRate: number | undefined;
  readonly p50Ms: number | undefined;
  readonly p95Ms: number | undefined;
  readonly p99Ms: number | undefined;
}

const INBOUND = { direction: 'inbound' } as const;

interface Counts {
  requests: number;
  successes: number;
  buckets: Map<number, number>;
}

function countsOf(samples: readonly Sample[]): Counts {
  const buckets = new Map<number, number>();
  for (const b of histogramBuckets(samples, 'weft_response_latency_ms', INBOUND)) buckets.set(b.le, b.count);
  return {
    requests: sumSamples(samples, 'weft_requests_total', INBOUND),
    successes: sumSamples(samples, 'weft_responses_total', { ...INBOUND, classification: 'success' }),
    buckets,
  };
}

/** `after - before`, or `after` when a counter went down (the proxy restarted). */
function delta(after: Counts, before: Counts | undefined): Counts {
  if (before === undefined || after.requests < before.requests) return after;
  const buckets = new Map<number, number>();
  for (const [le, n] of after.buckets) buckets.set(le, n - (before.buckets.get(le) ?? 0));
  return {
    requests: after.requests - before.requests,
    successes: after.successes - before.successes,
    buckets,
  };
}

/** Seconds each proxy has been up, from `process_start_time_seconds`. */
function uptimeSeconds(scrape: Extract<ProxyScrape, { ok: true }>): number {
  const start = sumSamples(scrape.samples, 'process_start_time_seconds');
  return start > 0 ? Math.max(scrape.at / 1000 - start, 1e-3) : 0;
}

const key = (s: { namespace: string; workload: string }) => `${s.namespace}/${s.workload}`;

/**
 * Rows per service, sorted by namespace then service. With `before`, counts are what happened
 * between the two scrapes; without, since each proxy started (rates over each proxy's uptime).
 */
export function goldenMetrics(
  after: readonly ProxyScrape[],
  before?: readonly ProxyScrape[],
): ServiceStats[] {
  const earlier = new Map<string, Extract<ProxyScrape, { ok: true }>>();
  for (const s of before ?? []) if (s.ok) earlier.set(key(s), s);
  interface Acc {
    namespace: string;
    service: string;
    proxies: number;
    unreachable: number;
    counts: Counts;
    rate: number;
  }
  const services = new Map<string, Acc>();
  for (const s of after) {
    const id = `${s.namespace}/${s.service}`;
    let acc = services.get(id);
    if (acc === undefined) {
      acc = {
        namespace: s.namespace,
        service: s.service,
        proxies: 0,
        unreachable: 0,
        counts: { requests: 0, successes: 0, buckets: new Map() },
        rate: 0,
      };
      services.set(id, acc);
    }
    if (!s.ok) {
      acc.unreachable++;
      continue;
    }
    acc.proxies++;
    const prev = before === undefined ? undefined : earlier.get(key(s));
    const d = delta(countsOf(s.samples), prev === undefined ? undefined : countsOf(prev.samples));
    acc.counts.requests += d.requests;
    acc.counts.successes += d.successes;
    for (const [le, n] of d.buckets) acc.counts.buckets.set(le, (acc.counts.buckets.get(le) ?? 0) + n);
    const seconds =
      prev !== undefined ? (s.at - prev.at) / 1000 : before === undefined ? uptimeSeconds(s) : 0;
    if (seconds > 0) acc.rate += d.requests / seconds;
  }
  const rows: ServiceStats[] = [];
  for (const acc of services.values()) {
    const buckets = [...acc.counts.buckets.entries()]
      .sort(([a], [b]) => a - b)
      .map(([le, count]) => ({ le, count }));
    const n = acc.counts.requests;
    rows.push({
      namespace: acc.namespace,
      service: acc.service,
      proxies: acc.proxies,
      unreachable: acc.unreachable,
      requests: n,
      requestsPerSecond: acc.rate,
      successRate: n > 0 ? acc.counts.successes / n : undefined,
      p50Ms: n > 0 ? histogramQuantile(0.5, buckets) : undefined,
      p95Ms: n > 0 ? histogramQuantile(0.95, buckets) : undefined,
      p99Ms: n > 0 ? histogramQuantile(0.99, buckets) : undefined,
    });
  }
  return rows.sort((a, b) => a.namespace.localeCompare(b.namespace) || a.service.localeCompare(b.service));
}

const ms = (v: number | undefined) => (v === undefined ? '-' : `${v < 10 ? v.toFixed(1) : Math.round(v)}ms`);
const pct = (v: number | undefined) => (v === undefined ? '-' : `${(v * 100).toFixed(2)}%`);

/** The table `weft stat` prints (cli-table3, through the CLI's one table style). */
export function renderStatTable(rows: readonly ServiceStats[]): string {
  return renderTable({
    head: ['NAMESPACE', 'SERVICE', 'MESHED', 'SUCCESS', 'RPS', 'P50', 'P95', 'P99'],
    rows: rows.map((r) => [
      r.namespace,
      r.service,
      r.unreachable > 0 ? `${r.proxies}/${r.proxies + r.unreachable}` : String(r.proxies),
      pct(r.successRate),
      r.requestsPerSecond.toFixed(1),
      ms(r.p50Ms),
      ms(r.p95Ms),
      ms(r.p99Ms),
    ]),
    numeric: [2, 3, 4, 5, 6, 7],
  });
}
