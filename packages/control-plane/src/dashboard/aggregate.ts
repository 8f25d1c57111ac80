/**
 * The dashboard's traffic view from every proxy's interval digest: workloads (nodes), edges from
 * the client identity each server proxy saw to that server, per-route and per-backend numbers.
 * Pure: interval digests in, plain JSON out.
 */
import { histogramQuantile } from '@weft/runtime';
import { addTraffic, type Digest, emptyTraffic, splitKey, type Traffic } from './digest.js';

/** One proxy as the feed knows it for one interval. */
export interface ProxyInterval {
  readonly namespace: string;
  readonly workload: string;
  readonly service: string;
  /** Its SPIFFE ID (from its stream's client certificate), when connected. */
  readonly identity: string | undefined;
  /** What happened since the previous scrape; undefined on the first scrape or after a restart. */
  readonly delta: Digest | undefined;
  /** Seconds between the two scrapes. */
  readonly seconds: number;
  /** Why it could not be scraped. */
  readonly error?: string;
}

/** Rate, success and latency of some traffic over an interval. */
export interface Golden {
  readonly rps: number;
  /** 0..1, null without requests. */
  readonly successRate: number | null;
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
  readonly p99Ms: number | null;
}

export interface WorkloadNode extends Golden {
  /** `namespace/service`. */
  readonly id: string;
  readonly namespace: string;
  readonly service: string;
  readonly identities: readonly string[];
  readonly proxies: number;
  readonly unreachable: number;
  readonly authzDeniedPerSecond: number;
}

export interface Edge extends Golden {
  /** Node id of the client, `identity:<spiffe id>` for an identity no proxy has, or `unmeshed`. */
  readonly from: string;
  readonly to: string;
  /** A client SPIFFE ID the server proxies verified on this edge ('' for plaintext). */
  readonly clientIdentity: string;
  readonly mtls: boolean;
  /** Responses 403 per second on this edge (authorization denials answer 403). */
  readonly forbiddenPerSecond: number;
}

export interface RouteStats extends Golden {
  readonly authority: string;
  readonly route: string;
}

export interface BackendStats {
  readonly backend: string;
  readonly attemptsPerSecond: number;
  readonly failuresPerSecond: number;
  readonly retriesPerSecond: number;
  /** Retry stops by reason per second (`budget-exhausted` is the retry budget running out). */
  readonly retryStopsPerSecond: Readonly<Record<string, number>>;
  /** Ejections in this interval, by endpoint. */
  readonly ejections: Readonly<Record<string, number>>;
}

export interface TrafficView {
  readonly workloads: WorkloadNode[];
  readonly edges: Edge[];
  readonly routes: RouteStats[];
  readonly backends: BackendStats[];
}

function golden(t: Traffic, seconds: number): Golden {
  const buckets = [...t.buckets.entries()].sort(([a], [b]) => a - b).map(([le, count]) => ({ le, count }));
  const q = (p: number) => (t.requests > 0 ? (histogramQuantile(p, buckets) ?? null) : null);
  return {
    rps: seconds > 0 ? t.requests / seconds : 0,
    successRate: t.requests > 0 ? t.successes / t.requests : null,
    p50Ms: q(0.5),
    p95Ms: q(0.95),
    p99Ms: q(0.99),
  };
}

/** Rates are summed per proxy over its own interval; the histogram sums counts for percentiles. */
interface Acc {
  traffic: Traffic;
  rate: number;
  forbiddenRate: number;
}

const newAcc = (): Acc => ({ traffic: emptyTraffic(), rate: 0, forbiddenRate: 0 });

function accumulate(map: Map<string, Acc>, key: string, t: Traffic, seconds: number): void {
  let acc = map.get(key);
  if (acc === undefined) {
    acc = newAcc();
    map.set(key, acc);
  }
  addInto(acc, t, seconds);
}

function addInto(acc: Acc, t: Traffic, seconds: number): void {
  addTraffic(acc.traffic, t);
  if (seconds > 0) {
    acc.rate += t.requests / seconds;
    acc.forbiddenRate += t.forbidden / seconds;
  }
}

const withRate = (acc: Acc): Golden => ({ ...golden(acc.traffic, 1), rps: acc.rate });

/** The service name of an authority such as `api.demo:80` or `api.demo.svc.cluster.local:80`. */
export function authorityService(authority: string): { service: string; namespace: string | undefined } {
  const host = authority.replace(/:\d+$/, '');
  const [service = host, namespace] = host.split('.');
  return { service, namespace };
}

/** Aggregates one interval of every proxy. */
export function aggregate(proxies: readonly ProxyInterval[]): TrafficView {
  const nodes = new Map<
    string,
    { namespace: string; service: string; ids: Set<string>; n: number; bad: number; denied: number; acc: Acc }
  >();
  const byIdentity = new Map<string, string>();
  for (const p of proxies) {
    const id = `${p.namespace}/${p.service}`;
    let node = nodes.get(id);
    if (node === undefined) {
      node = {
        namespace: p.namespace,
        service: p.service,
        ids: new Set(),
        n: 0,
        bad: 0,
        denied: 0,
        acc: newAcc(),
      };
      nodes.set(id, node);
    }
    if (p.identity !== undefined) {
      node.ids.add(p.identity);
      if (!byIdentity.has(p.identity)) byIdentity.set(p.identity, id);
    }
    if (p.error !== undefined) node.bad++;
    else node.n++;
  }
  const edges = new Map<string, Acc>();
  const edgeIdentity = new Map<string, string>();
  const routes = new Map<string, Acc>();
  const attempts = new Map<
    string,
    { ok: number; failed: number; retries: number; stops: Map<string, number>; ej: Map<string, number> }
  >();
  const backendOf = (b: string) => {
    let a = attempts.get(b);
    if (a === undefined) {
      a = { ok: 0, failed: 0, retries: 0, stops: new Map(), ej: new Map() };
      attempts.set(b, a);
    }
    return a;
  };
  for (const p of proxies) {
    const d = p.delta;
    if (d === undefined || p.seconds <= 0) continue;
    const s = p.seconds;
    const to = `${p.namespace}/${p.service}`;
    const node = nodes.get(to);
    if (node !== undefined) node.denied += d.authzDenied / s;
    for (const [key, t] of d.inbound) {
      const [peer, tls] = splitKey(key);
      if (node !== undefined) addInto(node.acc, t, s);
      const from = peer === '' ? 'unmeshed' : (byIdentity.get(peer) ?? `identity:${peer}`);
      // One edge per pair of nodes and transport: replicas' identities of one service merge.
      const edgeKey = [from, to, tls].join('\n');
      if (!edgeIdentity.has(edgeKey)) edgeIdentity.set(edgeKey, peer);
      accumulate(edges, edgeKey, t, s);
    }
    for (const [key, t] of d.outbound) accumulate(routes, key, t, s);
    for (const [key, n] of d.attempts) {
      const [backend, outcome] = splitKey(key);
      const a = backendOf(backend);
      // Outcomes are `2xx`…`5xx`, `grpc-N` (non-OK status) or why no response came (`connect-error`, …).
      if (/^[1-4]xx$/.test(outcome)) a.ok += n / s;
      else a.failed += n / s;
    }
    for (const [backend, n] of d.retries) backendOf(backend).retries += n / s;
    for (const [key, n] of d.retryStops) {
      const [backend, reason] = splitKey(key);
      const stops = backendOf(backend).stops;
      stops.set(reason, (stops.get(reason) ?? 0) + n / s);
    }
    for (const [key, n] of d.ejections) {
      const [backend, endpoint] = splitKey(key);
      if (n > 0) {
        const ej = backendOf(backend).ej;
        ej.set(endpoint, (ej.get(endpoint) ?? 0) + n);
      }
    }
  }
  return {
    workloads: [...nodes.entries()]
      .map(([id, n]) => ({
        id,
        namespace: n.namespace,
        service: n.service,
        identities: [...n.ids].sort(),
        proxies: n.n,
        unreachable: n.bad,
        authzDeniedPerSecond: n.denied,
        ...withRate(n.acc),
      }))
      .sort((a, b) => a.id.localeCompare(b.id)),
    edges: [...edges.entries()]
      .map(([key, acc]) => {
        const [from = '', to = '', tls = ''] = key.split('\n');
        const clientIdentity = edgeIdentity.get(key) ?? '';
        return {
          from,
          to,
          clientIdentity,
          mtls: tls === 'true',
          forbiddenPerSecond: acc.forbiddenRate,
          ...withRate(acc),
        };
      })
      .sort((a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to)),
    routes: [...routes.entries()]
      .map(([key, acc]) => {
        const [authority, route] = splitKey(key);
        return { authority, route, ...withRate(acc) };
      })
      .sort((a, b) => a.authority.localeCompare(b.authority) || a.route.localeCompare(b.route)),
    backends: backendsOf(attempts),
  };
}

function backendsOf(
  attempts: Map<
    string,
    { ok: number; failed: number; retries: number; stops: Map<string, number>; ej: Map<string, number> }
  >,
): BackendStats[] {
  return [...attempts.entries()]
    .map(([backend, a]) => ({
      backend,
      attemptsPerSecond: a.ok + a.failed,
      failuresPerSecond: a.failed,
      retriesPerSecond: a.retries,
      retryStopsPerSecond: Object.fromEntries(a.stops),
      ejections: Object.fromEntries(a.ej),
    }))
    .sort((a, b) => a.backend.localeCompare(b.backend));
}
