/** The proxy's settings, parsed once at the edge (CLI flags / WEFT_* env) into this readonly shape. */
import { isIP } from 'node:net';
import { isLoopbackAddress } from '@weft/runtime';
import { DEFAULT_H2_LIMITS, type H2Limits } from './http2/h2-limits.js';

export { DEFAULT_H2_LIMITS, type H2Limits };

/** A service port this workload serves and where its app listens. */
export interface InboundMapping {
  /** The service (target) port other proxies name in their preamble. */
  readonly servicePort: number;
  readonly appHost: string;
  readonly appPort: number;
}

/** An explicit upstream: a local listener that carries traffic to one authority. */
export interface UpstreamListener {
  /** The destination name, e.g. `reviews.default:9080`. */
  readonly authority: string;
  readonly host: string;
  /** 0 = pick a free port. */
  readonly port: number;
}

/** Limits applied on every listener. */
export interface HardeningOptions {
  /** Largest request head (request line + headers) in bytes; larger gets 431. */
  readonly maxHeadBytes: number;
  /** Most end-to-end header fields in a head (hop-by-hop ones count toward maxHeadBytes only); more gets 431. */
  readonly maxHeaders: number;
  /** Most concurrent connections per listener; more are closed at accept. */
  readonly maxConnections: number;
  /** Most concurrent client connections over all listeners together; more are closed at accept and counted. */
  readonly maxTotalConnections: number;
  /**
   * Most bytes one HTTP/1 client connection may hold read but not yet forwarded (head being
   * parsed, body waiting for the upstream, pipelined requests); more closes the connection.
   */
  readonly maxConnectionBufferBytes: number;
  /** Request a full GC once a storm of 1,000+ connections has drained (idle RSS comes back). */
  readonly reclaimMemory: boolean;
  /** Time to receive a complete request head (408 after). */
  readonly headersTimeoutMs: number;
  /** Idle time after which a connection is closed. */
  readonly idleTimeoutMs: number;
  /** Time to receive a request's whole body once its head arrived (408 after). */
  readonly requestTimeoutMs: number;
  /** HTTP/2 stream, reset and flood limits (docs/proxy-transport.md, "HTTP/2 limits"); {@link DEFAULT_H2_LIMITS} when absent. */
  readonly h2?: H2Limits;
}

/** The sidecar's DNS proxy (docs/dns.md). */
export interface DnsOptions {
  /** Where it listens, UDP and TCP (127.0.0.1:15053 by default; port 0 = any). */
  readonly host: string;
  readonly port: number;
  /**
   * True when the address was given explicitly: failing to bind it stops the proxy. With the
   * default address a failure (e.g. another local proxy holds it) is a warning and a metric.
   */
  readonly required: boolean;
  /**
   * Also listen on [::1] at the same port (the default address: ip6tables capture redirects there).
   * If ::1 cannot be bound (IPv6 disabled) the proxy serves on `host` only and says so.
   */
  readonly ipv6Loopback: boolean;
  /** The pod's original resolv.conf: upstream resolvers, search path, ndots. */
  readonly resolvConfPath: string;
  /** Upstream resolvers (HOST:PORT) used instead of the resolv.conf's nameservers; empty: those. */
  readonly upstreams: readonly { readonly host: string; readonly port: number }[];
  /** The cluster's DNS suffix (`cluster.local`). */
  readonly clusterDomain: string;
}

/** The DNS proxy's address unless told otherwise (docs/security.md port table). */
export const DEFAULT_DNS_PORT = 15053;

export interface ProxyOptions {
  readonly namespace: string;
  readonly service: string;
  readonly serviceAccount: string;
  /** The workload (pod) name. */
  readonly workload: string;
  readonly inbound: readonly InboundMapping[];
  readonly upstreams: readonly UpstreamListener[];
  /** Address the inbound and outbound listeners bind. */
  readonly listenHost: string;
  /** The address other proxies reach this one on (registered with the control plane). */
  readonly advertiseAddress: string;
  readonly inboundPort: number;
  readonly outboundPort: number;
  readonly adminPort: number;
  /**
   * Where the full admin surface binds (/live, /ready, /metrics, /config, /shutdown). Loopback by
   * default; /config and /shutdown answer loopback peers only wherever it binds.
   */
  readonly adminHost: string;
  /**
   * A non-loopback address (the pod IP) where a second admin listener on the same port serves only
   * /live, /ready and /metrics, for kubelet probes and Prometheus; '' for none.
   */
  readonly adminProbeHost: string;
  /** How long protocol detection waits for the client's first bytes before treating the connection as opaque. */
  readonly detectTimeoutMs: number;
  /** Destination ports never sniffed (server-speaks-first protocols). */
  readonly opaquePorts: ReadonlySet<number>;
  /** How long a request for a new name waits for the control plane's first answer. */
  readonly discoveryWaitMs: number;
  /**
   * A destination name no request used for this long is unsubscribed from the control plane and
   * its traffic state forgotten (the next request subscribes again); 0 never. Default 5 minutes.
   */
  readonly discoveryIdleMs?: number;
  readonly connectTimeoutMs: number;
  /**
   * Speak ALPN weft.2 (HTTP/1 multiplexed on one mTLS connection per peer) with proxies that
   * offer it; false: weft.1 only, in both directions (`--no-weft2`, WEFT_NO_WEFT2=1).
   */
  readonly weft2: boolean;
  /** How long SIGTERM waits for in-flight work before exiting. */
  readonly drainTimeoutMs: number;
  /** mTLS mode until the control plane pushes the inbound policy. */
  readonly defaultMtlsMode: 'strict' | 'permissive';
  readonly hardening: HardeningOptions;
  /** The DNS proxy; undefined runs none (`--no-dns`). */
  readonly dns?: DnsOptions;
}

export const DEFAULT_OPAQUE_PORTS: readonly number[] = [25, 587, 3306, 4444, 5432, 6379, 9300, 11211];

export const DEFAULT_HARDENING: HardeningOptions = {
  maxHeadBytes: 16 * 1024,
  maxHeaders: 100,
  maxConnections: 10_000,
  maxTotalConnections: 20_000,
  maxConnectionBufferBytes: 1024 * 1024,
  reclaimMemory: true,
  headersTimeoutMs: 10_000,
  idleTimeoutMs: 300_000,
  requestTimeoutMs: 60_000,
  h2: DEFAULT_H2_LIMITS,
};

/** Why the admin bind addresses cannot be used together, or undefined when they can. */
export function adminAddressProblem(adminHost: string, adminProbeHost: string): string | undefined {
  if (adminProbeHost === '') return undefined;
  if (isIP(adminProbeHost) === 0) return `admin probe host ${adminProbeHost} is not an IP address`;
  if (isLoopbackAddress(adminProbeHost))
    return 'the admin probe host must not be loopback (the admin host is)';
  if (WILDCARDS.has(adminProbeHost))
    return 'the admin probe host must be one address (the pod IP), not a wildcard';
  if (WILDCARDS.has(adminHost) || adminHost === adminProbeHost) {
    return `the admin host ${adminHost} already covers ${adminProbeHost}; bind the admin host to loopback`;
  }
  return undefined;
}

const WILDCARDS = new Set(['0.0.0.0', '::', '::0']);

/** Defaults for everything but identity and mappings. */
export function defaultProxyOptions(
  partial: Partial<ProxyOptions> & Pick<ProxyOptions, 'namespace' | 'service'>,
): ProxyOptions {
  return {
    serviceAccount: 'default',
    workload: `${partial.service}-${process.pid}`,
    inbound: [],
    upstreams: [],
    listenHost: '0.0.0.0',
    advertiseAddress: '127.0.0.1',
    inboundPort: 7143,
    outboundPort: 7140,
    adminPort: 7191,
    adminHost: '127.0.0.1',
    adminProbeHost: '',
    detectTimeoutMs: 1000,
    opaquePorts: new Set(DEFAULT_OPAQUE_PORTS),
    discoveryWaitMs: 3000,
    connectTimeoutMs: 3000,
    weft2: true,
    drainTimeoutMs: 10_000,
    defaultMtlsMode: 'permissive',
    hardening: DEFAULT_HARDENING,
    ...partial,
  };
}
