/** The DNS proxy's metrics: queries by type and answer, and resolve latency. */
import type { Counter, CounterChild, Histogram, MetricsRegistry } from '../telemetry/metrics-registry.js';

/** How a query was answered (the `answer` label). */
export type DnsAnswerKind = 'mesh' | 'forwarded' | 'nxdomain' | 'servfail' | 'dropped';

/** Question types counted by name; every other type is `other` (the label set stays bounded). */
const TYPES = new Set(['A', 'AAAA', 'CNAME', 'SRV', 'PTR', 'TXT', 'MX', 'NS', 'SOA', 'ANY', 'HTTPS', 'SVCB']);

/** Latency buckets (ms): a mesh answer takes microseconds, a forwarded one up to the timeout. */
const BUCKETS_MS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000];

export class DnsMetrics {
  private readonly queries: Counter;
  private readonly children = new Map<string, CounterChild>();
  readonly latency: Histogram;
  /** Malformed or unacceptable packets, by reason. */
  readonly dropped: Counter;
  /** Forwarded-answer cache lookups by result (hit, miss). */
  readonly cache: Counter;

  constructor(registry: MetricsRegistry) {
    this.queries = registry.counter(
      'weft_proxy_dns_queries_total',
      'DNS queries by question type and answer.',
    );
    this.latency = registry.histogram(
      'weft_proxy_dns_resolve_duration_ms',
      'Time from a DNS query to its answer (ms).',
      BUCKETS_MS,
    );
    this.dropped = registry.counter('weft_proxy_dns_dropped_total', 'DNS packets dropped, by reason.');
    this.cache = registry.counter('weft_proxy_dns_cache_total', 'Forwarded-answer cache lookups by result.');
  }

  /** Counts one query; `type` is the question type (or `unknown` when there is none). */
  query(type: string, answer: DnsAnswerKind): void {
    const t = TYPES.has(type) ? type : type === 'unknown' ? 'unknown' : 'other';
    const key = `${t}/${answer}`;
    let c = this.children.get(key);
    if (c === undefined) {
      c = this.queries.labels({ type: t, answer });
      this.children.set(key, c);
    }
    c.inc();
  }

  /** The count for one type and answer (tests, /config). */
  count(type: string, answer: DnsAnswerKind): number {
    return this.queries.get({ type, answer });
  }
}
