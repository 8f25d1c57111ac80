/** Wires the DNS proxy together: naming from resolv.conf, the upstream forwarder, cache, handler and sockets. */
import { type Clock, type Logger, silentLogger, systemClock } from '@weft/core';
import type { MetricsRegistry } from '../metrics/registry.js';
import { AnswerCache, type AnswerCacheOptions, DEFAULT_ANSWER_CACHE } from './answer-cache.js';
import { DnsHandler, type DnsHandlerOptions } from './dns-handler.js';
import { DnsMetrics } from './dns-metrics.js';
import { DnsServer } from './dns-server.js';
import { type LookedUpName, LookedUpNames } from './looked-up-names.js';
import { defaultSearch } from './mesh-names.js';
import type { MeshRecordSource } from './mesh-records.js';
import type { ResolvConf } from './resolv-conf.js';
import { UdpTcpUpstream, type Upstream, type UpstreamAddress } from './upstream.js';

export interface DnsProxyOptions {
  readonly host: string;
  readonly port: number;
  /** The pod's original resolv.conf: upstream resolvers, search path, ndots. */
  readonly resolvConf: ResolvConf;
  /** Overrides the resolv.conf nameservers (port 53) with explicit addresses (tests, local mode). */
  readonly upstreams?: readonly UpstreamAddress[];
  /** Replaces the upstream forwarder (tests). */
  readonly upstream?: Upstream;
  readonly clusterDomain: string;
  /** The workload's namespace: its default search path when resolv.conf has none. */
  readonly namespace: string;
  readonly records: MeshRecordSource | undefined;
  readonly registry: MetricsRegistry;
  readonly logger?: Logger;
  readonly clock?: Clock;
  readonly cache?: AnswerCacheOptions;
  /** Overall upstream deadline per query (ms); SERVFAIL after it. Default 2 s. */
  readonly upstreamTimeoutMs?: number;
  /** How long a new mesh name waits for the control plane (ms). Default 1 s. */
  readonly meshWaitMs?: number;
  /** See {@link DnsHandlerOptions.beforeMeshAnswer}. */
  readonly beforeMeshAnswer?: DnsHandlerOptions['beforeMeshAnswer'];
}

/** A running DNS proxy. */
export interface DnsProxy {
  readonly port: number;
  readonly metrics: DnsMetrics;
  readonly cache: AnswerCache;
  /** What /config shows: the listen address, upstreams and the names looked up. */
  snapshot(): DnsSnapshot;
  close(): Promise<void>;
}

export interface DnsSnapshot {
  readonly listen: string;
  readonly upstreams: readonly string[];
  readonly search: readonly string[];
  readonly cachedAnswers: number;
  readonly lookups: readonly LookedUpName[];
  readonly lookupsForgotten: number;
}

export async function startDnsProxy(o: DnsProxyOptions): Promise<DnsProxy> {
  const clock = o.clock ?? systemClock;
  const logger = o.logger ?? silentLogger();
  const metrics = new DnsMetrics(o.registry);
  const cache = new AnswerCache(clock, o.cache ?? DEFAULT_ANSWER_CACHE);
  const lookups = new LookedUpNames();
  const servers = o.upstreams ?? o.resolvConf.nameservers.map((host) => ({ host, port: 53 }));
  const upstream = o.upstream ?? new UdpTcpUpstream({ servers, timeoutMs: o.upstreamTimeoutMs ?? 2000 });
  const search =
    o.resolvConf.search.length > 0 ? o.resolvConf.search : defaultSearch(o.namespace, o.clusterDomain);
  const handler = new DnsHandler({
    naming: {
      clusterDomain: o.clusterDomain,
      search,
      // Kubernetes pods get ndots:5; a resolv.conf without a search path (local mode) says nothing useful.
      ndots: o.resolvConf.search.length > 0 ? o.resolvConf.ndots : 5,
    },
    records: o.records,
    upstream,
    cache,
    clock,
    metrics,
    lookups,
    meshWaitMs: o.meshWaitMs ?? 1000,
    negativeTtlSeconds: 5,
    maxInFlight: 1024,
    ...(o.beforeMeshAnswer === undefined ? {} : { beforeMeshAnswer: o.beforeMeshAnswer }),
  });
  const server = new DnsServer({
    host: o.host,
    port: o.port,
    handler,
    metrics,
    logger,
    maxTcpConnections: 256,
    tcpIdleMs: 10_000,
  });
  let port: number;
  try {
    port = await server.start();
  } catch (err) {
    upstream.close();
    await server.close();
    throw err;
  }
  const listen = o.host.includes(':') ? `[${o.host}]:${port}` : `${o.host}:${port}`;
  return {
    port,
    metrics,
    cache,
    snapshot: () => ({
      listen,
      upstreams: servers.map((s) => `${s.host}:${s.port}`),
      search,
      cachedAnswers: cache.size,
      lookups: lookups.list(),
      lookupsForgotten: lookups.forgotten,
    }),
    async close() {
      upstream.close();
      await server.close();
    },
  };
}
