/**
 * MeshState: the pure mesh model. It applies source events and answers what a proxy needs —
 * destinations, inbound policies, the mesh config — and, for each batch, which watch keys
 * changed, so that only the affected subscribers are recomputed.
 */
import { defaultMeshConfig, type MeshConfig, SERVICE_NAME_LABEL } from '@weft/api';
import { describeError } from '@weft/core';
import {
  GatewayModel,
  type GatewayStatusChange,
  type IngressProblemChange,
} from '../gateway/gateway-model.js';
import type { GatewayAddress } from '../gateway/gateway-status.js';
import {
  formatRef,
  type Origin,
  type Registration,
  type ResourceRef,
  refKey,
  type SourceEvent,
} from '../sources/config-source.js';
import { attachmentsOf } from './attachments.js';
import { ConditionTracker, EVALUATED_KINDS } from './condition-tracker.js';
import { type EndpointInputs, endpointsOf } from './endpoints.js';
import { evaluateService, type ServiceEvaluation } from './evaluate.js';
import { sameMeshView } from './mesh-view.js';
import { MultiIndex } from './multi-index.js';
import { ResourceIndex, type StoredResource } from './resource-index.js';
import { ConfigError, type ParsedResource, parseResource } from './resource-parse.js';
import type { Condition } from './routing.js';
import { type ServiceModel, serviceFromRegistrations, serviceFromResource } from './service-model.js';
import { keys } from './watch-keys.js';

export type { StoredResource } from './resource-index.js';

/** A resource's condition changed (the status writer or folder reporter acts on it). */
export interface ConditionChange {
  readonly ref: ResourceRef;
  readonly origin: Origin;
  /** undefined when the resource is gone. */
  readonly condition: Condition | undefined;
}

/** What one batch changed. */
export interface ChangeSet {
  readonly version: number;
  /** Watch keys (see watch-keys.ts) whose derived resources may differ now. */
  readonly dirty: ReadonlySet<string>;
  /** True when everything may differ (the mesh config changed). */
  readonly all: boolean;
  readonly conditions: readonly ConditionChange[];
  /** Gateway API resources whose wanted status changed (see GatewayModel). */
  readonly gatewayStatuses: readonly GatewayStatusChange[];
  /** Ingresses whose problems changed (see GatewayModel); logged and counted, not written as status. */
  readonly ingressProblems: readonly IngressProblemChange[];
}

/** Kinds the gateway translation reads (besides Services). */
const GATEWAY_INPUTS: ReadonlySet<string> = new Set([
  'GatewayClass',
  'Gateway',
  'HTTPRoute',
  'GRPCRoute',
  'ReferenceGrant',
  'Ingress',
  'Secret',
]);

export interface MeshStateOptions {
  /** The DNS suffix of service authorities; default "cluster.local". */
  readonly clusterDomain?: string;
  /** The trust domain while no MeshConfig names one (the CA's); default "cluster.local". */
  readonly trustDomain?: string;
  /**
   * The ingress gateway's Service ("namespace/name"; default "weft-system/weft-gateway"): its
   * load balancer addresses (else ClusterIPs) are reported in every Gateway's status.
   */
  readonly gatewayService?: string;
}

/** The mesh model. Not thread-safe by design: one owner applies batches and reads between them. */
export class MeshState extends ResourceIndex implements EndpointInputs {
  readonly clusterDomain: string;
  private readonly gatewayService: string;
  private revision = 0;
  private readonly rejected = new Map<string, { ref: ResourceRef; origin: Origin; condition: Condition }>();
  private readonly attached = new MultiIndex<string>();
  private readonly backendOf = new MultiIndex<string>();
  private readonly services = new Map<string, ServiceModel>();
  private readonly servicesByNs = new MultiIndex<string>();
  private readonly clusterIps = new Map<string, string>();
  private readonly evaluations = new Map<string, ServiceEvaluation>();
  private readonly conditions = new ConditionTracker();
  /** The ingress gateway's translation of the Gateway API resources and Ingresses. */
  readonly gateway = new GatewayModel();
  private gatewayDirty = false;
  private readonly defaults: MeshConfig;
  private mesh: MeshConfig;

  constructor(options: MeshStateOptions = {}) {
    super();
    this.clusterDomain = options.clusterDomain ?? 'cluster.local';
    this.gatewayService = options.gatewayService ?? 'weft-system/weft-gateway';
    this.defaults = { ...defaultMeshConfig(), trustDomain: options.trustDomain ?? 'cluster.local' };
    this.mesh = this.defaults;
  }

  /** The version of the state; it grows with every batch that changed something. */
  get version(): number {
    return this.revision;
  }

  get trustDomain(): string {
    return this.mesh.trustDomain;
  }

  meshConfig(): MeshConfig {
    return this.mesh;
  }

  /** Applies a batch of events atomically and reports what changed. */
  apply(events: readonly SourceEvent[]): ChangeSet {
    const dirtySvc = new Set<string>();
    const dirty = new Set<string>();
    const rebuildSvc = new Set<string>();
    const changedConditions: ConditionChange[] = [];
    const regenerated = new Set<string>();
    let all = false;
    for (const event of events) {
      switch (event.type) {
        case 'upsert': {
          const key = refKey(event.ref);
          let parsed: ParsedResource;
          try {
            parsed = parseResource(event.ref, event.object, formatRef(event.ref));
          } catch (err) {
            const message =
              err instanceof ConfigError
                ? err.issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')
                : describeError(err);
            const condition: Condition = { status: 'rejected', reason: 'Invalid', message };
            this.rejected.set(key, { ref: event.ref, origin: event.origin, condition });
            changedConditions.push({ ref: event.ref, origin: event.origin, condition });
            break;
          }
          const wasRejected = this.rejected.delete(key);
          if (wasRejected) {
            // Valid again: a kind with semantic conditions gets a fresh one from re-evaluation.
            if (EVALUATED_KINDS.has(event.ref.kind)) this.conditions.delete(key);
            else
              changedConditions.push({
                ref: event.ref,
                origin: event.origin,
                condition: { status: 'accepted' },
              });
          }
          const old = this.store.get(key);
          if (old !== undefined && old.origin.generation !== event.origin.generation) regenerated.add(key);
          const stored = { ref: event.ref, origin: event.origin, parsed };
          if (old !== undefined && !wasRejected && sameMeshView(old.parsed, parsed)) {
            // Status or other churn weft does not read (pod phase, conditions): nothing to recompute.
            this.store.set(key, stored);
            break;
          }
          if (old !== undefined) this.touch(old, dirtySvc, dirty, rebuildSvc, true);
          this.store.set(key, stored);
          this.touch(stored, dirtySvc, dirty, rebuildSvc, false);
          if (parsed.kind === 'MeshConfig') all = true;
          break;
        }
        case 'delete': {
          const key = refKey(event.ref);
          this.rejected.delete(key);
          const old = this.store.get(key);
          if (old === undefined) break;
          this.store.delete(key);
          this.touch(old, dirtySvc, dirty, rebuildSvc, true);
          if (old.parsed.kind === 'MeshConfig') all = true;
          if (this.conditions.delete(key))
            changedConditions.push({ ref: old.ref, origin: old.origin, condition: undefined });
          break;
        }
        case 'register':
        case 'deregister': {
          const reg = event.type === 'register' ? event.registration : this.registrations.get(event.id);
          if (reg === undefined) break;
          const old = this.registrations.get(reg.id);
          if (old !== undefined) this.touchRegistration(old, dirtySvc, dirty, rebuildSvc, true);
          if (event.type === 'register') {
            this.registrations.set(reg.id, reg);
            this.touchRegistration(reg, dirtySvc, dirty, rebuildSvc, false);
          }
          break;
        }
      }
    }
    if (all) this.reloadMeshConfig();
    for (const svc of all ? new Set([...rebuildSvc, ...this.services.keys()]) : rebuildSvc) {
      this.rebuildService(svc, dirty);
      dirtySvc.add(svc);
    }
    if (all) for (const key of this.attachedKeys()) dirtySvc.add(key);
    // Apexes routing to a changed service change too (one level: backends are not followed further).
    for (const svc of [...dirtySvc]) {
      for (const ref of this.backendOf.get(svc)) {
        const s = this.store.get(ref);
        if (s !== undefined) for (const apex of attachmentsOf(s.parsed).apexes) dirtySvc.add(apex);
      }
    }
    for (const svc of dirtySvc) {
      dirty.add(keys.service(svc));
      this.reevaluate(svc, changedConditions);
    }
    // A new generation keeping its condition still gets it written, with the new observedGeneration.
    for (const key of regenerated) {
      const s = this.store.get(key);
      const condition = this.conditions.get(key);
      if (s !== undefined && condition !== undefined && !changedConditions.some((c) => refKey(c.ref) === key))
        changedConditions.push({ ref: s.ref, origin: s.origin, condition });
    }
    const { gatewayStatuses, ingressProblems } = this.retranslateGateway(rebuildSvc.size > 0, dirty);
    const changed = all || dirty.size > 0 || changedConditions.length > 0 || gatewayStatuses.length > 0;
    if (changed) this.revision++;
    return {
      version: this.revision,
      dirty,
      all,
      conditions: changedConditions,
      gatewayStatuses,
      ingressProblems,
    };
  }

  /**
   * Re-translates the gateway resources when one of them changed (or a Service or Namespace did,
   * once any exists): marks the gateway key dirty when a config changed, returns status changes.
   */
  private retranslateGateway(
    servicesChanged: boolean,
    dirty: Set<string>,
  ): { gatewayStatuses: GatewayStatusChange[]; ingressProblems: IngressProblemChange[] } {
    const any = [...GATEWAY_INPUTS].some((k) => this.byKind.get(k).size > 0);
    const relevant = this.gatewayDirty || (servicesChanged && any);
    this.gatewayDirty = false;
    if (!relevant || (!any && !this.gateway.active)) return { gatewayStatuses: [], ingressProblems: [] };
    const values = <K extends ParsedResource['kind']>(kind: K) =>
      this.resourcesOf(kind).flatMap((s) =>
        s.parsed.kind === kind ? [s.parsed.value as Extract<ParsedResource, { kind: K }>['value']] : [],
      );
    const r = this.gateway.update(
      {
        gatewayClasses: values('GatewayClass'),
        gateways: values('Gateway'),
        httpRoutes: values('HTTPRoute'),
        grpcRoutes: values('GRPCRoute'),
        grants: values('ReferenceGrant'),
        ingresses: values('Ingress'),
        secret: (namespace, name) => {
          const p = this.store.get(refKey({ kind: 'Secret', namespace, name }))?.parsed;
          return p?.kind === 'Secret' ? p.value : undefined;
        },
        service: (namespace, name) => this.service(namespace, name),
        namespaceLabels: (ns) => {
          const p = this.store.get(refKey({ kind: 'Namespace', namespace: '', name: ns }))?.parsed;
          return p?.kind === 'Namespace' ? (p.value.metadata.labels ?? {}) : {};
        },
        clusterDomain: this.clusterDomain,
        addresses: this.gatewayAddresses(),
      },
      (ref) => this.store.get(refKey(ref))?.origin.generation,
    );
    if (r.configChanged) dirty.add(keys.gateway());
    return { gatewayStatuses: r.statuses, ingressProblems: r.ingressProblems };
  }

  private attachedKeys(): string[] {
    return [...this.services.keys()];
  }

  /** Marks what a stored resource affects, and adds (or, with `remove`, drops) its index entries. */
  private touch(
    s: StoredResource,
    dirtySvc: Set<string>,
    dirty: Set<string>,
    rebuild: Set<string>,
    remove: boolean,
  ): void {
    const { ref, parsed } = s;
    const key = refKey(ref);
    const ns = ref.namespace;
    const op = remove ? 'delete' : 'add';
    this.byKind[op](ref.kind, key);
    if (GATEWAY_INPUTS.has(ref.kind) || ref.kind === 'Namespace') this.gatewayDirty = true;
    switch (parsed.kind) {
      case 'Service':
        rebuild.add(`${ns}/${ref.name}`);
        break;
      case 'EndpointSlice': {
        const svc = parsed.value.metadata.labels?.[SERVICE_NAME_LABEL];
        if (svc !== undefined) {
          this.slicesBySvc[op](`${ns}/${svc}`, key);
          dirtySvc.add(`${ns}/${svc}`);
        }
        for (const ep of parsed.value.endpoints ?? []) {
          if (ep.targetRef?.kind === 'Pod' && ep.targetRef.name !== undefined) {
            const pod = `${ep.targetRef.namespace ?? ns}/${ep.targetRef.name}`;
            this.slicesByPod[op](pod, key);
            dirty.add(keys.pod(pod));
          }
        }
        break;
      }
      case 'Pod':
        dirty.add(keys.pod(`${ns}/${ref.name}`));
        for (const slice of this.slicesByPod.get(`${ns}/${ref.name}`)) {
          const svc = this.store.get(slice)?.parsed.value.metadata.labels?.[SERVICE_NAME_LABEL];
          if (svc !== undefined) dirtySvc.add(`${ns}/${svc}`);
        }
        break;
      case 'Namespace':
        dirty.add(keys.namespace(ref.name));
        break;
      case 'AuthorizationPolicy':
        dirty.add(keys.authz(`${ns}/${parsed.value.spec.targetRef.name}`));
        break;
      case 'StaticEndpoints':
        this.staticBySvc[op](`${ns}/${parsed.value.spec.service}`, key);
        break;
      default:
        break;
    }
    const { apexes, backends } = attachmentsOf(parsed);
    for (const apex of apexes) {
      this.attached[op](apex, key);
      dirtySvc.add(apex);
    }
    for (const b of backends) this.backendOf[op](b, key);
  }

  private touchRegistration(
    r: Registration,
    dirtySvc: Set<string>,
    dirty: Set<string>,
    rebuild: Set<string>,
    remove: boolean,
  ): void {
    const svc = `${r.namespace}/${r.service}`;
    const op = remove ? 'delete' : 'add';
    if (r.service !== '') {
      this.regsBySvc[op](svc, r.id);
      rebuild.add(svc);
      dirtySvc.add(svc);
    }
    const workload = `${r.namespace}/${r.workload}`;
    this.regsByWorkload[op](workload, r.id);
    dirty.add(keys.pod(workload));
    for (const slice of this.slicesByPod.get(workload)) {
      const name = this.store.get(slice)?.parsed.value.metadata.labels?.[SERVICE_NAME_LABEL];
      if (name !== undefined) dirtySvc.add(`${r.namespace}/${name}`);
    }
  }

  private reloadMeshConfig(): void {
    const configs = [...this.byKind.get('MeshConfig')].sort();
    const first = configs[0] === undefined ? undefined : this.store.get(configs[0]);
    this.mesh = first?.parsed.kind === 'MeshConfig' ? first.parsed.value.spec : this.defaults;
  }

  /** Recomputes the model of one service (from its manifest, else from registrations). */
  private rebuildService(svc: string, dirty: Set<string>): void {
    const [ns, name] = splitKey(svc);
    const old = this.services.get(svc);
    const manifest = this.store.get(refKey({ kind: 'Service', namespace: ns, name }));
    const regs = [...this.regsBySvc.get(svc)].map((id) => this.registrations.get(id) as Registration);
    const opaque = this.mesh.proxy.opaquePorts;
    const next =
      manifest?.parsed.kind === 'Service'
        ? serviceFromResource(manifest.parsed.value, opaque)
        : regs.length > 0
          ? serviceFromRegistrations(ns, name, regs, opaque)
          : undefined;
    for (const ip of old?.clusterIPs ?? []) {
      this.clusterIps.delete(ip);
      dirty.add(keys.ip(ip));
    }
    if (next === undefined) {
      this.services.delete(svc);
      this.servicesByNs.delete(ns, svc);
    } else {
      this.services.set(svc, next);
      this.servicesByNs.add(ns, svc);
      for (const ip of next.clusterIPs) {
        this.clusterIps.set(ip, svc);
        dirty.add(keys.ip(ip));
      }
    }
    dirty.add(keys.namespace(ns));
    dirty.add(keys.service(svc));
    dirty.add(keys.authz(svc));
  }

  private reevaluate(svc: string, changes: ConditionChange[]): void {
    const [ns, name] = splitKey(svc);
    const attached = [...this.attached.get(svc)].flatMap((k) => {
      const s = this.store.get(k);
      return s === undefined ? [] : [s.parsed];
    });
    if (attached.length === 0) {
      this.evaluations.delete(svc);
      return;
    }
    const evaluation = evaluateService(ns, name, this.services.get(svc), attached, (n, s) =>
      this.service(n, s),
    );
    this.evaluations.set(svc, evaluation);
    for (const [key, condition] of evaluation.conditions) {
      const stored = this.store.get(key);
      if (stored === undefined) continue;
      const after = this.conditions.set(key, svc, condition, attachmentsOf(stored.parsed).apexes);
      if (after !== undefined) changes.push({ ref: stored.ref, origin: stored.origin, condition: after });
    }
  }

  /** The gateway Service's load balancer addresses, else its ClusterIPs. */
  private gatewayAddresses(): GatewayAddress[] {
    const [ns, name] = splitKey(this.gatewayService);
    const p = this.store.get(refKey({ kind: 'Service', namespace: ns, name }))?.parsed;
    if (p?.kind !== 'Service') return [];
    const lb = (p.value.status?.loadBalancer?.ingress ?? []).flatMap((i): GatewayAddress[] =>
      i.ip !== undefined
        ? [{ type: 'IPAddress', value: i.ip }]
        : i.hostname !== undefined
          ? [{ type: 'Hostname', value: i.hostname }]
          : [],
    );
    if (lb.length > 0) return lb;
    return (this.service(ns, name)?.clusterIPs ?? []).map((value) => ({ type: 'IPAddress', value }));
  }

  // ---- queries ----

  service(namespace: string, name: string): ServiceModel | undefined {
    return this.services.get(`${namespace}/${name}`);
  }

  /** The services of a namespace. */
  servicesIn(namespace: string): ServiceModel[] {
    return [...this.servicesByNs.get(namespace)].map((k) => this.services.get(k) as ServiceModel);
  }

  serviceByClusterIp(ip: string): ServiceModel | undefined {
    const key = this.clusterIps.get(ip);
    return key === undefined ? undefined : this.services.get(key);
  }

  evaluation(namespace: string, name: string): ServiceEvaluation | undefined {
    return this.evaluations.get(`${namespace}/${name}`);
  }

  /** Every resource's current condition (accepted or why not), including ones that failed validation. */
  allConditions(): { ref: ResourceRef; origin: Origin; condition: Condition }[] {
    const out: { ref: ResourceRef; origin: Origin; condition: Condition }[] = [];
    for (const [key, c] of this.conditions.entries()) {
      const s = this.store.get(key);
      if (s !== undefined && !this.rejected.has(key))
        out.push({ ref: s.ref, origin: s.origin, condition: c });
    }
    for (const r of this.rejected.values()) out.push(r);
    return out;
  }

  /** Endpoints of one service port (all sources merged). */
  endpoints(svc: ServiceModel, port: number) {
    const sp = svc.ports.find((p) => p.port === port);
    return sp === undefined ? [] : endpointsOf(this, svc, sp);
  }

  /** Every service (manifests and implied by registrations). */
  allServices(): ServiceModel[] {
    return [...this.services.values()];
  }
}

function splitKey(key: string): [string, string] {
  const i = key.indexOf('/');
  return [key.slice(0, i), key.slice(i + 1)];
}
