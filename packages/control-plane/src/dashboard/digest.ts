/**
 * One proxy's /metrics reduced to the counters the dashboard shows (per peer, route, backend),
 * and the difference of two such digests. Pure: the feed keeps one digest per proxy, not its
 * whole exposition, so 1,000 proxies cost 1,000 small maps.
 */

import { WeftError } from '@weft/core';
import type { Sample } from '@weft/runtime';

/** Request counters of one series group, with its latency histogram (cumulative, by bound). */
export interface Traffic {
  requests: number;
  successes: number;
  /** Responses with status 403 (authorization denials are answered 403). */
  forbidden: number;
  buckets: Map<number, number>;
}

/** The counters of one proxy at one scrape. Keys join label values with a tab. */
export interface Digest {
  /** Inbound traffic by `peer_identity \t tls`. */
  readonly inbound: Map<string, Traffic>;
  /** Outbound traffic by `authority \t route`. */
  readonly outbound: Map<string, Traffic>;
  /** Upstream attempts by `backend \t outcome`. */
  readonly attempts: Map<string, number>;
  readonly retries: Map<string, number>;
  /** Retry stops by `backend \t reason`. */
  readonly retryStops: Map<string, number>;
  /** Outlier ejections by `backend \t endpoint`. */
  readonly ejections: Map<string, number>;
  authzDenied: number;
  /** Unix seconds; undefined when the proxy holds no certificate. */
  certExpiry: number | undefined;
  /** Unix seconds the process started (a counter reset when it changes). */
  startTime: number | undefined;
}

export const TAB = '\t';

const emptyTraffic = (): Traffic => ({ requests: 0, successes: 0, forbidden: 0, buckets: new Map() });

function traffic(map: Map<string, Traffic>, key: string): Traffic {
  let t = map.get(key);
  if (t === undefined) {
    t = emptyTraffic();
    map.set(key, t);
  }
  return t;
}

const add = (map: Map<string, number>, key: string, n: number) => map.set(key, (map.get(key) ?? 0) + n);

/** The digest of one proxy's samples. */
export function digestOf(samples: readonly Sample[]): Digest {
  const d: Digest = {
    inbound: new Map(),
    outbound: new Map(),
    attempts: new Map(),
    retries: new Map(),
    retryStops: new Map(),
    ejections: new Map(),
    authzDenied: 0,
    certExpiry: undefined,
    startTime: undefined,
  };
  for (const s of samples) {
    const l = s.labels;
    if (!Number.isFinite(s.value)) continue;
    switch (s.name) {
      case 'weft_requests_total':
      case 'weft_responses_total':
      case 'weft_response_latency_ms_bucket': {
        const map =
          l.direction === 'inbound' ? d.inbound : l.direction === 'outbound' ? d.outbound : undefined;
        if (map === undefined) break;
        const key =
          l.direction === 'inbound'
            ? `${l.peer_identity ?? ''}${TAB}${l.tls ?? 'false'}`
            : `${l.authority ?? ''}${TAB}${l.route ?? ''}`;
        const t = traffic(map, key);
        if (s.name === 'weft_requests_total') t.requests += s.value;
        else if (s.name === 'weft_responses_total') {
          if (l.classification === 'success') t.successes += s.value;
          if (l.status_code === '403') t.forbidden += s.value;
        } else {
          const le = l.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(l.le);
          if (!Number.isNaN(le)) t.buckets.set(le, (t.buckets.get(le) ?? 0) + s.value);
        }
        break;
      }
      case 'weft_proxy_upstream_attempts_total':
        add(d.attempts, `${l.backend ?? ''}${TAB}${l.outcome ?? ''}`, s.value);
        break;
      case 'weft_proxy_retries_total':
        add(d.retries, l.backend ?? '', s.value);
        break;
      case 'weft_proxy_retry_stops_total':
        add(d.retryStops, `${l.backend ?? ''}${TAB}${l.reason ?? ''}`, s.value);
        break;
      case 'weft_proxy_outlier_ejections_total':
        add(d.ejections, `${l.backend ?? ''}${TAB}${l.endpoint ?? ''}`, s.value);
        break;
      case 'weft_proxy_authz_denied_total':
        d.authzDenied += s.value;
        break;
      case 'weft_identity_cert_expiration_timestamp_seconds':
        d.certExpiry = s.value > 0 ? s.value : undefined;
        break;
      case 'process_start_time_seconds':
        d.startTime = s.value;
        break;
    }
  }
  return d;
}

function subTraffic(a: Traffic, b: Traffic | undefined): Traffic {
  if (b === undefined) return a;
  const buckets = new Map<number, number>();
  for (const [le, n] of a.buckets) buckets.set(le, Math.max(0, n - (b.buckets.get(le) ?? 0)));
  return {
    requests: Math.max(0, a.requests - b.requests),
    successes: Math.max(0, a.successes - b.successes),
    forbidden: Math.max(0, a.forbidden - b.forbidden),
    buckets,
  };
}

function subMap<V>(a: Map<string, V>, b: Map<string, V>, sub: (x: V, y: V | undefined) => V): Map<string, V> {
  const out = new Map<string, V>();
  for (const [k, v] of a) out.set(k, sub(v, b.get(k)));
  return out;
}

const subNumber = (x: number, y: number | undefined) => Math.max(0, x - (y ?? 0));

/**
 * What happened between two scrapes of one proxy: `after - before`, or undefined when the proxy
 * restarted in between (its counters went back to zero; the next interval counts again).
 */
export function difference(after: Digest, before: Digest): Digest | undefined {
  if (after.startTime !== before.startTime) return undefined;
  for (const [k, v] of after.inbound)
    if (v.requests < (before.inbound.get(k)?.requests ?? 0)) return undefined;
  return {
    inbound: subMap(after.inbound, before.inbound, subTraffic),
    outbound: subMap(after.outbound, before.outbound, subTraffic),
    attempts: subMap(after.attempts, before.attempts, subNumber),
    retries: subMap(after.retries, before.retries, subNumber),
    retryStops: subMap(after.retryStops, before.retryStops, subNumber),
    ejections: subMap(after.ejections, before.ejections, subNumber),
    authzDenied: subNumber(after.authzDenied, before.authzDenied),
    certExpiry: after.certExpiry,
    startTime: after.startTime,
  };
}

/** Adds `b`'s traffic into `a`. */
export function addTraffic(a: Traffic, b: Traffic): void {
  a.requests += b.requests;
  a.successes += b.successes;
  a.forbidden += b.forbidden;
  for (const [le, n] of b.buckets) a.buckets.set(le, (a.buckets.get(le) ?? 0) + n);
}

export { emptyTraffic };

/** Splits a digest key; throws on a key this module did not make. */
export function splitKey(key: string): [string, string] {
  const i = key.indexOf(TAB);
  if (i < 0) throw new WeftError('INTERNAL', `dashboard digest key without a tab: ${key}`);
  return [key.slice(0, i), key.slice(i + 1)];
}
