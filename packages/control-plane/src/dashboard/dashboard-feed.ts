/**
 * The dashboard's one data source: every `intervalMs` (2 s) while anyone is looking, it scrapes
 * every proxy once (bounded concurrency and timeout, as `weft stat`'s gather), reduces each to a
 * digest, and builds one snapshot that every dashboard shares. However many tabs or dashboards
 * ask, a mesh of N proxies costs N scrapes per interval; nobody asking for `idleMs` stops it.
 */

import { describeError } from '@weft/core';
import { type Logger, parsePrometheusText, silentLogger } from '@weft/runtime';
import type { GatheredProxy } from '../admin/proxy-metrics.js';
import type { ProxyAdminEndpoint } from '../discovery/discovery-service.js';
import { aggregate, type ProxyInterval, type TrafficView } from './aggregate.js';
import {
  type ControlPlaneCounters,
  type ControlPlaneStats,
  controlPlaneCounters,
  controlPlaneStats,
} from './control-plane-view.js';
import { type Digest, difference, digestOf } from './digest.js';
import type { MeshView } from './mesh-view.js';

/** One connected proxy's stream, as the discovery service describes it. */
export interface StreamInfo {
  readonly id: string;
  readonly identity: string;
  readonly workload: string;
  readonly proxyVersion: string;
  readonly subscriptions: readonly string[];
  readonly acked: Readonly<Record<string, string>>;
  readonly rejected: Readonly<Record<string, string>>;
  readonly lastNack?: { readonly nonce: string; readonly detail: string } | undefined;
}

/** A proxy row of the proxies page. */
export interface ProxyView {
  readonly id: string;
  readonly namespace: string;
  readonly workload: string;
  readonly service: string;
  readonly identity: string;
  readonly version: string;
  /** Unix ms; null when unknown (no scrape, or no certificate). */
  readonly certExpiry: number | null;
  readonly acked: Readonly<Record<string, string>>;
  readonly rejected: Readonly<Record<string, string>>;
  readonly lastNack: string | null;
  readonly scrapeError: string | null;
}

/** What `GET /dashboard/v1/snapshot` answers. */
export interface DashboardSnapshot extends TrafficView {
  readonly at: number;
  readonly intervalMs: number;
  /** Increases by one per refresh. */
  readonly sequence: number;
  readonly mode: 'local' | 'kubernetes';
  readonly proxies: ProxyView[];
  readonly controlPlane: ControlPlaneStats & {
    readonly anchorExpiry: number | null;
    readonly issuerExpiry: number | null;
  };
  readonly mesh: MeshView;
}

export interface DashboardFeedOptions {
  readonly mode: 'local' | 'kubernetes';
  /** Where every proxy's admin port is. */
  readonly proxies: () => readonly ProxyAdminEndpoint[];
  /** The discovery streams. */
  readonly streams: () => readonly StreamInfo[];
  /** Scrapes proxies (gatherProxyMetrics with its bounds). */
  readonly gather: (proxies: readonly ProxyAdminEndpoint[]) => Promise<{ proxies: GatheredProxy[] }>;
  /** The control plane's own exposition (its registry). */
  readonly ownMetrics: () => Promise<string>;
  readonly mesh: () => MeshView;
  /** The trust anchor's and issuer's notAfter (Unix ms), when this control plane holds the CA. */
  readonly trust?: () => { anchorNotAfter: number; issuerNotAfter: number };
  readonly intervalMs?: number;
  readonly idleMs?: number;
  readonly now?: () => number;
  readonly logger?: Logger;
}

/** Proxies parsed between two yields to the event loop. */
const YIELD_EVERY = 25;

interface Previous {
  readonly digest: Digest;
  readonly at: number;
}

const keyOf = (p: { namespace: string; workload: string; address?: string }) =>
  `${p.namespace}/${p.workload}@${p.address ?? ''}`;

export class DashboardFeed {
  private readonly intervalMs: number;
  private readonly idleMs: number;
  private readonly now: () => number;
  private readonly logger: Logger;
  private previous = new Map<string, Previous>();
  private previousCp: { counters: ControlPlaneCounters; at: number } | undefined;
  private latest: DashboardSnapshot | undefined;
  private inFlight: Promise<DashboardSnapshot> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastAsked = 0;
  private sequence = 0;
  private closed = false;

  constructor(private readonly options: DashboardFeedOptions) {
    this.intervalMs = options.intervalMs ?? 2000;
    this.idleMs = options.idleMs ?? 30_000;
    this.now = options.now ?? Date.now;
    this.logger = options.logger ?? silentLogger();
  }

  /**
   * The latest snapshot, at once: a refresh runs every interval while anyone asks, so it is about
   * one interval old (older only while slow proxies hold a refresh up to their timeout). Only the
   * very first call waits, for the first refresh.
   */
  snapshot(): Promise<DashboardSnapshot> {
    this.lastAsked = this.now();
    if (this.latest === undefined) return this.refresh();
    if (this.now() - this.latest.at >= this.intervalMs && this.inFlight === undefined) {
      this.refresh().catch((err: unknown) =>
        this.logger.warn({ err: describeError(err) }, 'dashboard refresh failed'),
      );
    } else this.schedule();
    return Promise.resolve(this.latest);
  }

  /** Refreshes now unless a refresh is running (then shares it). Exposed for tests and the bench. */
  refresh(): Promise<DashboardSnapshot> {
    this.inFlight ??= this.build().finally(() => {
      this.inFlight = undefined;
      this.schedule();
    });
    return this.inFlight;
  }

  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (this.closed || this.timer !== undefined || this.inFlight !== undefined) return;
    // Nobody looking for idleMs: stop scraping (the next look's first rates span the gap).
    if (this.now() - this.lastAsked > this.idleMs) return;
    const wait = Math.max(0, (this.latest?.at ?? 0) + this.intervalMs - this.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.refresh().catch((err: unknown) =>
        this.logger.warn({ err: describeError(err) }, 'dashboard refresh failed'),
      );
    }, wait);
    this.timer.unref();
  }

  private async build(): Promise<DashboardSnapshot> {
    const endpoints = this.options.proxies();
    const [gathered, own] = await Promise.all([this.options.gather(endpoints), this.options.ownMetrics()]);
    const streams = this.options.streams();
    const identities = new Map<string, string>();
    for (const s of streams) identities.set(`${namespaceOf(s.identity)}/${s.workload}`, s.identity);
    const at = this.now();
    const intervals: ProxyInterval[] = [];
    const next = new Map<string, Previous>();
    const certs = new Map<string, number | undefined>();
    const errors = new Map<string, string>();
    for (const [i, g] of gathered.proxies.entries()) {
      // Parsing 1,000 expositions takes a while: let gRPC and the admin server run in between.
      if (i > 0 && i % YIELD_EVERY === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      const ep = endpoints[i];
      const key = keyOf({ ...g, address: ep === undefined ? '' : `${ep.address}:${ep.adminPort}` });
      const identity = identities.get(`${g.namespace}/${g.workload}`);
      let digest: Digest | undefined;
      let error = g.error;
      if (g.metrics !== undefined) {
        try {
          digest = digestOf(parsePrometheusText(g.metrics));
        } catch (err) {
          error = describeError(err);
        }
      }
      const base = { namespace: g.namespace, workload: g.workload, service: g.service, identity };
      const wk = `${g.namespace}/${g.workload}`;
      if (digest === undefined) {
        errors.set(wk, error ?? 'no metrics');
        intervals.push({ ...base, delta: undefined, seconds: 0, error: error ?? 'no metrics' });
        continue;
      }
      certs.set(wk, digest.certExpiry);
      next.set(key, { digest, at: g.at });
      const prev = this.previous.get(key);
      const delta = prev === undefined ? undefined : difference(digest, prev.digest);
      intervals.push({ ...base, delta, seconds: prev === undefined ? 0 : (g.at - prev.at) / 1000 });
    }
    this.previous = next;
    const counters = controlPlaneCounters(parsePrometheusText(own));
    const cp = controlPlaneStats(
      counters,
      this.previousCp?.counters,
      this.previousCp === undefined ? 0 : (at - this.previousCp.at) / 1000,
    );
    this.previousCp = { counters, at };
    const trust = this.options.trust?.();
    this.sequence++;
    const snapshot: DashboardSnapshot = {
      at,
      intervalMs: this.intervalMs,
      sequence: this.sequence,
      mode: this.options.mode,
      ...aggregate(intervals),
      proxies: proxyViews(streams, endpoints, certs, errors),
      controlPlane: {
        ...cp,
        anchorExpiry: trust?.anchorNotAfter ?? null,
        issuerExpiry:
          trust?.issuerNotAfter ??
          (counters.issuerExpirySeconds === undefined ? null : at + counters.issuerExpirySeconds * 1000),
      },
      mesh: this.options.mesh(),
    };
    this.latest = snapshot;
    return snapshot;
  }
}

/** The namespace of a workload SPIFFE ID (`spiffe://td/ns/NS/sa/SA`). */
export const namespaceOf = (identity: string) => /\/ns\/([^/]+)\//.exec(identity)?.[1] ?? '';

function proxyViews(
  streams: readonly StreamInfo[],
  endpoints: readonly ProxyAdminEndpoint[],
  certs: Map<string, number | undefined>,
  errors: Map<string, string>,
): ProxyView[] {
  const admin = new Map(endpoints.map((e) => [`${e.namespace}/${e.workload}`, e]));
  return streams
    .map((s) => {
      const namespace = namespaceOf(s.identity);
      const ep = admin.get(`${namespace}/${s.workload}`);
      const wk = `${namespace}/${s.workload}`;
      const cert = certs.get(wk);
      return {
        id: s.id,
        namespace,
        workload: s.workload,
        service: ep?.service ?? '',
        identity: s.identity,
        version: s.proxyVersion,
        certExpiry: cert === undefined ? null : cert * 1000,
        acked: s.acked,
        rejected: s.rejected,
        lastNack: s.lastNack?.detail ?? null,
        scrapeError: errors.get(wk) ?? (ep === undefined ? 'no admin port told' : null),
      };
    })
    .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.workload.localeCompare(b.workload));
}
