/** Wires the DNS proxy together: naming from resolv.conf, the upstream forwarder, cache, handler and sockets. */

import { type Clock, describeError, systemClock } from '@weft/core';
import { type Logger, silentLogger } from '@weft/runtime';
import type { MetricsRegistry } from '../telemetry/metrics-registry.js';
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
  /**
   * Also listen on [::1] at the port `host` got, for IPv6 capture (ip6tables REDIRECT sends to ::1).
   * Failing to bind it (IPv6 disabled) is not fatal: the proxy serves on `host` only, logs it and
   * shows it in {@link DnsSnapshot.ipv6Loopback}.
   */
  readonly ipv6Loopback?: boolean;
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
  /** The [::1] listener, when asked for: its address, or why there is none. */
  readonly ipv6Loopback?: { readonly listening: true; readonly listen: string } | IPv6NotListening;
  readonly upstreams: readonly string[];
  readonly search: readonly string[];
  readonly cachedAnswers: number;
  readonly lookups: readonly LookedUpName[];
  readonly lookupsForgotten: number;
}

interface IPv6NotListening {
  readonly listening: false;
  readonly error: string;
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
  const serverOn = (host: string, port: number) =>
    new DnsServer({ host, port, handler, metrics, logger, maxTcpConnections: 256, tcpIdleMs: 10_000 });
  const server = serverOn(o.host, o.port);
  let port: number;
  try {
    port = await server.start();
  } catch (err) {
    upstream.close();
    await server.close();
    throw err;
  }
  const listen = hostPort(o.host, port);
  let ipv6Server: DnsServer | undefined;
  let ipv6Loopback: DnsSnapshot['ipv6Loopback'];
  if (o.ipv6Loopback === true) {
    const candidate = serverOn('::1', port);
    try {
      await candidate.start();
      ipv6Server = candidate;
      ipv6Loopback = { listening: true, listen: hostPort('::1', port) };
    } catch (err) {
      await candidate.close();
      // IPv6 disabled (EADDRNOTAVAIL) or the port held on ::1: IPv4 keeps working, IPv6 capture does not.
      const error = describeError(err);
      ipv6Loopback = { listening: false, error };
      logger.warn(
        { err: error, address: hostPort('::1', port) },
        'DNS proxy not listening on IPv6 loopback: serving on IPv4 only',
      );
    }
  }
  return {
    port,
    metrics,
    cache,
    snapshot: () => ({
      listen,
      ...(ipv6Loopback === undefined ? {} : { ipv6Loopback }),
      upstreams: servers.map((s) => hostPort(s.host, s.port)),
      search,
      cachedAnswers: cache.size,
      lookups: lookups.list(),
      lookupsForgotten: lookups.forgotten,
    }),
    async close() {
      upstream.close();
      await Promise.all([server.close(), ipv6Server?.close()]);
    },
  };
}

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
