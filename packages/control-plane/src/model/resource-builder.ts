/**
 * Builds the wire resources a proxy receives — destinations, its inbound policy, the mesh config —
 * from the mesh state, with a per-service cache dropped when a batch makes that service dirty.
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type {
  Destination,
  DnsRecordMessage,
  GatewayConfig,
  InboundPolicyMessage,
  MeshConfig,
  PathNormalizationMessage,
  Resource,
} from '@weft/api';
import { type InboundInputs, inboundPolicy, protocolMessage, selects, type WorkloadRef } from './inbound.js';
import { LoopbackAddresses } from './loopback-addresses.js';
import type { ChangeSet, MeshState } from './mesh-state.js';
import { trafficPolicyMessage } from './policy.js';
import { authorityOf, parseName } from './resolve.js';
import { backendName } from './routing.js';
import { keys } from './watch-keys.js';

export type MeshConfigMessage = NonNullable<Resource['meshConfig']>;

/** What a subscription name refers to now, and the watch keys that could change the answer. */
export type Resolution =
  | {
      readonly type: 'service';
      readonly namespace: string;
      readonly service: string;
      readonly port: number;
      readonly watch: readonly string[];
    }
  | { readonly type: 'not-found'; readonly reason: string; readonly watch: readonly string[] };

/** A destination, or why there is none. `version` is a hash of the content. */
export type DestinationResult =
  | { readonly type: 'destination'; readonly message: Destination; readonly version: string }
  | { readonly type: 'does-not-exist'; readonly reason: string; readonly version: string };

/** The DNS answer for a Service name (a `dns:` subscription), or why there is none. */
export type DnsRecordResult =
  | {
      readonly type: 'record';
      readonly message: DnsRecordMessage;
      readonly version: string;
      readonly watch: readonly string[];
    }
  | {
      readonly type: 'does-not-exist';
      readonly reason: string;
      readonly version: string;
      readonly watch: readonly string[];
    };

/** TTL of mesh DNS answers: short, so clients follow endpoint changes (CoreDNS's kubernetes plugin uses 5 s too). */
export const DNS_TTL_SECONDS = 5;

/** A content hash used as a resource version: equal content, equal version. */
export function contentVersion(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('base64url').slice(0, 16);
}

/** The trust material proxies compare theirs with (see MeshConfig.trust_anchor_fingerprints). */
export interface MeshTrust {
  readonly trustAnchorFingerprints: readonly string[];
  readonly issuerFingerprint: string;
}

export class ResourceBuilder {
  private readonly destinations = new Map<string, Map<number, DestinationResult>>();
  private readonly loopback = new LoopbackAddresses();

  /** `trust` is read at each build: the identity reloader swaps what it returns. */
  constructor(
    private readonly state: MeshState,
    private readonly trust?: () => MeshTrust,
  ) {}

  /** Drops cached results the change set may have made stale. */
  invalidate(change: ChangeSet): void {
    if (change.all) {
      this.destinations.clear();
      return;
    }
    for (const key of change.dirty) {
      if (key.startsWith('svc:')) this.destinations.delete(key.slice(4));
    }
  }

  /** The ingress gateway config of one GatewayClass (it carries private keys: never log it). */
  gatewayConfig(className: string): { message: GatewayConfig; version: string; watch: readonly string[] } {
    return { ...this.state.gateway.config(className), watch: [keys.gateway()] };
  }

  /** Resolves a subscription name for a proxy in `proxyNamespace`. */
  resolve(name: string, proxyNamespace: string): Resolution {
    const parsed = parseName(name, proxyNamespace, this.state.clusterDomain);
    switch (parsed.type) {
      case 'invalid':
        return { type: 'not-found', reason: parsed.reason, watch: [] };
      case 'ip': {
        const svc = this.state.serviceByClusterIp(parsed.ip);
        if (svc === undefined)
          return {
            type: 'not-found',
            reason: `no service has ClusterIP ${parsed.ip}`,
            watch: [keys.ip(parsed.ip)],
          };
        const svcKey = `${svc.namespace}/${svc.name}`;
        return {
          type: 'service',
          namespace: svc.namespace,
          service: svc.name,
          port: parsed.port,
          watch: [keys.ip(parsed.ip), keys.service(svcKey)],
        };
      }
      case 'authority':
        return {
          type: 'service',
          namespace: parsed.namespace,
          service: parsed.service,
          port: parsed.port,
          watch: [keys.service(`${parsed.namespace}/${parsed.service}`)],
        };
    }
  }

  /**
   * What `fqdn` (`name.namespace.svc.<cluster-domain>`) resolves to: the ClusterIPs; a headless
   * Service's endpoint addresses; in local mode (no ClusterIP) a loopback address of its own per
   * client proxy (`client`, e.g. "namespace/workload"): several proxies share one machine, and
   * each listens on the addresses it hands out.
   */
  dnsRecord(fqdn: string, client: string): DnsRecordResult {
    const suffix = `.svc.${this.state.clusterDomain}`;
    const labels = fqdn.endsWith(suffix) ? fqdn.slice(0, -suffix.length).split('.') : [];
    if (labels.length !== 2) return dnsNotFound(`"${fqdn}" is not name.namespace${suffix}`, []);
    const [name, namespace] = labels as [string, string];
    const watch = [keys.service(`${namespace}/${name}`)];
    const svc = this.state.service(namespace, name);
    if (svc === undefined) return dnsNotFound(`Service ${namespace}/${name} does not exist`, watch);
    if (svc.externalName === true) {
      return dnsNotFound(`Service ${namespace}/${name} is an ExternalName Service`, watch);
    }
    let addresses: string[];
    if (svc.clusterIPs.length > 0) addresses = [...svc.clusterIPs];
    else if (svc.headless === true) {
      const seen = new Set<string>();
      for (const p of svc.ports)
        for (const e of this.state.endpoints(svc, p.port)) {
          // Static endpoints may be host names; DNS A/AAAA answers carry addresses only.
          if (e.address !== undefined && isIP(e.address) !== 0) seen.add(e.address);
        }
      addresses = [...seen].sort();
    } else addresses = [this.loopback.addressOf(client, `${namespace}/${name}`)];
    const message: DnsRecordMessage = {
      fqdn,
      addresses,
      ttl: { seconds: DNS_TTL_SECONDS, nanos: 0 },
      ports: svc.ports.map((p) => p.port),
    };
    return { type: 'record', message, version: contentVersion(message), watch };
  }

  /** Cached destinations, for tests and /debug: only existing services are cached. */
  get cachedServices(): number {
    return this.destinations.size;
  }

  /**
   * The destination of one service port (cached until the service is dirty). A service that
   * does not exist is not cached: any proxy could name millions of them, and the answer is cheap.
   */
  destination(namespace: string, service: string, port: number): DestinationResult {
    const svcKey = `${namespace}/${service}`;
    let perPort = this.destinations.get(svcKey);
    const cached = perPort?.get(port);
    if (cached !== undefined) return cached;
    const result = this.build(namespace, service, port);
    if (this.state.service(namespace, service) === undefined) return result;
    if (perPort === undefined) {
      perPort = new Map();
      this.destinations.set(svcKey, perPort);
    }
    perPort.set(port, result);
    return result;
  }

  private build(namespace: string, service: string, port: number): DestinationResult {
    const svc = this.state.service(namespace, service);
    if (svc === undefined) return notFound(`Service ${namespace}/${service} does not exist`);
    const sp = svc.ports.find((p) => p.port === port);
    if (sp === undefined) return notFound(`Service ${namespace}/${service} has no port ${port}`);
    const evaluation = this.state.evaluation(namespace, service);
    const routing = evaluation?.routing?.byPort.get(port);
    const refs = routing?.backends ?? [{ service, namespace, port }];
    const backends = refs.map((ref) => {
      const model = this.state.service(ref.namespace, ref.service);
      return {
        name: backendName(ref),
        service: ref.service,
        namespace: ref.namespace,
        port: ref.port,
        endpoints: model === undefined ? [] : this.state.endpoints(model, ref.port),
      };
    });
    const policy = evaluation?.trafficPolicies.get(port) ?? evaluation?.trafficPolicies.get(0);
    const message: Destination = {
      authority: authorityOf(service, namespace, port, this.state.clusterDomain),
      service,
      namespace,
      port,
      protocol: protocolMessage(sp.protocol),
      routes: routing?.routes ?? [],
      backends,
      ...(policy === undefined ? {} : { policy: trafficPolicyMessage(policy) }),
    };
    return { type: 'destination', message, version: contentVersion(message) };
  }

  /** The inbound policy of a proxy's workload and the watch keys it depends on. */
  inbound(workload: WorkloadRef): { message: InboundPolicyMessage; version: string; watch: string[] } {
    const ns = workload.namespace;
    const pod = this.state.pod(ns, workload.workload);
    const labels = pod?.metadata.labels ?? workload.labels;
    const names = new Set<string>(this.state.servicesOfPod(ns, workload.workload));
    if (workload.service !== undefined && workload.service !== '') names.add(workload.service);
    for (const svc of this.state.servicesIn(ns)) if (selects(svc.selector, labels)) names.add(svc.name);
    const services = [...names].flatMap((n) => {
      const s = this.state.service(ns, n);
      return s === undefined ? [] : [s];
    });
    const policies = this.state
      .resourcesOf('AuthorizationPolicy')
      .flatMap((r) =>
        r.parsed.kind === 'AuthorizationPolicy' &&
        r.ref.namespace === ns &&
        names.has(r.parsed.value.spec.targetRef.name)
          ? [r.parsed.value]
          : [],
      );
    const inputs: InboundInputs = {
      mesh: this.state.meshConfig(),
      services,
      policies,
      namespaceAnnotations: this.state.namespaceAnnotations(ns),
      podAnnotations: pod?.metadata.annotations ?? {},
    };
    const message = inboundPolicy(workload, inputs);
    const watch = [
      keys.namespace(ns),
      keys.pod(`${ns}/${workload.workload}`),
      ...[...names].map((n) => keys.authz(`${ns}/${n}`)),
    ];
    return { message, version: contentVersion(message), watch };
  }

  /** The mesh config in wire form. */
  meshConfig(): { message: MeshConfigMessage; version: string } {
    const mesh = this.state.meshConfig();
    const message: MeshConfigMessage = {
      trustDomain: mesh.trustDomain,
      tracing: {
        endpoint: mesh.tracing.endpoint,
        protocol: mesh.tracing.protocol,
        sampling: mesh.tracing.sampling,
      },
      pathNormalization: pathNormalizationMessage(mesh.pathNormalization),
    };
    const trust = this.trust?.();
    if (trust !== undefined) {
      message.trustAnchorFingerprints = [...trust.trustAnchorFingerprints];
      message.issuerFingerprint = trust.issuerFingerprint;
    }
    return { message, version: contentVersion(message) };
  }
}

/** The wire form of the path-normalization section (every field explicit, never UNSPECIFIED). */
function pathNormalizationMessage(p: MeshConfig['pathNormalization']): PathNormalizationMessage {
  const escaped = { keep: 'KEEP', reject: 'REJECT', unescape: 'UNESCAPE' } as const;
  return {
    mergeSlashes: p.mergeSlashes ? 'SLASH_MERGE_MERGE' : 'SLASH_MERGE_KEEP',
    escapedSlashes: `ESCAPED_SLASH_ACTION_${escaped[p.escapedSlashes]}`,
    backslash: p.backslash === 'reject' ? 'BACKSLASH_ACTION_REJECT' : 'BACKSLASH_ACTION_TO_SLASH',
    forward: p.forward === 'normalized' ? 'FORWARDED_PATH_NORMALIZED' : 'FORWARDED_PATH_ORIGINAL',
  };
}

function dnsNotFound(reason: string, watch: readonly string[]): DnsRecordResult {
  return { type: 'does-not-exist', reason, version: contentVersion(reason), watch };
}

function notFound(reason: string): DestinationResult {
  return { type: 'does-not-exist', reason, version: contentVersion(reason) };
}
