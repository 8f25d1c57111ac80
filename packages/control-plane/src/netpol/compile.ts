/**
 * Compiles the mesh's intent (AuthorizationPolicies, meshed pods, mesh config) into
 * `networking.k8s.io/v1` NetworkPolicies: each meshed pod accepts connections only on the
 * proxy's inbound port (from the identities the mesh allows), on its admin port (probes and
 * metrics), and on app ports that plaintext callers may reach in permissive mode. Pure: the CLI
 * (`weft netpol generate`) and the control plane's controller call the same function.
 */
import { createHash } from 'node:crypto';
import type {
  AuthorizationPolicyResource,
  MeshConfig,
  NamespaceResource,
  PodResource,
  ServiceResource,
} from '@weft/api';
import { INBOUND_PORT_ANNOTATION, runsProxy } from '../model/endpoints.js';
import { INBOUND_POLICY_ANNOTATION } from '../model/inbound.js';
import { type ServiceModel, serviceFromResource } from '../model/service-model.js';
import {
  GENERATED_LABEL,
  GENERATED_VALUE,
  isLabelValue,
  NAMESPACE_NAME_LABEL,
  NOTES_ANNOTATION,
  SERVICE_ACCOUNT_LABEL,
  SOURCES_ANNOTATION,
  VOLATILE_LABELS,
} from './labels.js';
import type {
  LabelSelector,
  LabelSelectorRequirement,
  NetworkPolicyIngressRule,
  NetworkPolicyObject,
  NetworkPolicyPeer,
} from './network-policy.js';
import { intersectPeers, isEmptyPeers, type PeerSet } from './peer-set.js';
import { type PodAccess, podAccess } from './pod-access.js';

/** The proxy's admin port: kubelet probes and Prometheus scrapes reach /live, /ready, /metrics there. */
export const PROXY_ADMIN_PORT = 7191;
/** Control-plane pods and the ports they serve (install/base). */
export const CONTROL_PLANE_COMPONENTS: readonly { component: string; ports: readonly number[] }[] = [
  { component: 'control-plane', ports: [7443, 7990] },
  { component: 'injector', ports: [8443] },
];

export interface NetpolInputs {
  readonly mesh: MeshConfig;
  readonly namespaces: readonly NamespaceResource[];
  readonly pods: readonly PodResource[];
  readonly services: readonly ServiceResource[];
  readonly policies: readonly AuthorizationPolicyResource[];
  /** The namespace the control plane and injector run in (`weft-system`). */
  readonly controlPlaneNamespace: string;
  /** Generate for these namespaces only; every namespace when absent. Peers may be anywhere. */
  readonly scope?: readonly string[];
}

export interface CompiledNetworkPolicies {
  /** Sorted by namespace, then name. */
  readonly policies: readonly NetworkPolicyObject[];
  /** Pods the policies cannot protect or select (for example injected before the label existed). */
  readonly warnings: readonly string[];
}

interface Group {
  readonly namespace: string;
  readonly pods: PodResource[];
  access: PodAccess;
}

function isLive(pod: PodResource): boolean {
  const phase = pod.status?.phase;
  return (
    phase !== 'Succeeded' &&
    phase !== 'Failed' &&
    (pod.spec as { hostNetwork?: boolean }).hostNetwork !== true
  );
}

function stableLabels(pod: PodResource): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(pod.metadata.labels ?? {}))
    if (!VOLATILE_LABELS.includes(k)) out[k] = v;
  return out;
}

function commonLabels(pods: readonly PodResource[]): Record<string, string> {
  const [first, ...others] = pods.map(stableLabels);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(first ?? {})) if (others.every((l) => l[k] === v)) out[k] = v;
  return out;
}

function matches(labels: Record<string, string>, pod: PodResource): boolean {
  const have = pod.metadata.labels ?? {};
  return Object.entries(labels).every(([k, v]) => have[k] === v);
}

const accessKeys = new WeakMap<PodAccess, string>();

/** A canonical string of `a`, memoized per object (replicas share one PodAccess). */
function accessKey(a: PodAccess): string {
  let key = accessKeys.get(a);
  if (key === undefined) {
    key = JSON.stringify({ ...a, meshed: peersToJson(a.meshed) });
    accessKeys.set(a, key);
  }
  return key;
}

function sorted(o: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function peersToJson(s: PeerSet): unknown {
  return {
    rest: s.rest,
    ns: [...s.byNamespace.entries()].sort().map(([ns, a]) => [ns, a.kind, [...a.names].sort()]),
  };
}

/** The NetworkPolicy peers selecting exactly the identities in `s` (by namespace name and ServiceAccount label). */
export function peersOf(s: PeerSet): NetworkPolicyPeer[] {
  // A fresh object per use, so that YAML output has no anchors and aliases.
  const meshed = (): LabelSelectorRequirement => ({ key: SERVICE_ACCOUNT_LABEL, operator: 'Exists' });
  const out: NetworkPolicyPeer[] = [];
  const listed = [...s.byNamespace.keys()].sort();
  if (s.rest) {
    out.push({
      namespaceSelector:
        listed.length === 0
          ? {}
          : { matchExpressions: [{ key: NAMESPACE_NAME_LABEL, operator: 'NotIn', values: listed }] },
      podSelector: { matchExpressions: [meshed()] },
    });
  }
  for (const ns of listed) {
    const a = s.byNamespace.get(ns);
    if (a === undefined) continue;
    const names = [...a.names].filter(isLabelValue).sort();
    const namespaceSelector = { matchLabels: { [NAMESPACE_NAME_LABEL]: ns } };
    if (a.kind === 'all-except') {
      out.push({
        namespaceSelector,
        podSelector: {
          matchExpressions:
            names.length === 0
              ? [meshed()]
              : [meshed(), { key: SERVICE_ACCOUNT_LABEL, operator: 'NotIn', values: names }],
        },
      });
    } else if (names.length > 0) {
      out.push({
        namespaceSelector,
        podSelector: { matchExpressions: [{ key: SERVICE_ACCOUNT_LABEL, operator: 'In', values: names }] },
      });
    }
  }
  return out;
}

function shortHash(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 8);
}

function policyName(prefix: string, selector: Record<string, string>): string {
  const base = (selector['app.kubernetes.io/name'] ?? selector.app ?? '')
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-');
  const stem = base === '' ? prefix : `${prefix}-${base}`.slice(0, 48).replace(/-+$/, '');
  return `${stem}-${shortHash(sorted(selector))}`;
}

function ownedMetadata(
  name: string,
  namespace: string,
  annotations: Record<string, string>,
): NetworkPolicyObject['metadata'] {
  return {
    name,
    namespace,
    labels: { [GENERATED_LABEL]: GENERATED_VALUE, 'app.kubernetes.io/managed-by': 'weft' },
    ...(Object.keys(annotations).length === 0 ? {} : { annotations }),
  };
}

function meshedPolicy(
  namespace: string,
  selector: Record<string, string>,
  access: PodAccess,
): NetworkPolicyObject {
  const ingress: NetworkPolicyIngressRule[] = [{ ports: [{ protocol: 'TCP', port: PROXY_ADMIN_PORT }] }];
  if (!isEmptyPeers(access.meshed)) {
    ingress.push({ from: peersOf(access.meshed), ports: [{ protocol: 'TCP', port: access.inboundPort }] });
  }
  if (access.plaintextPorts.length > 0) {
    ingress.push({ ports: access.plaintextPorts.map((port) => ({ protocol: 'TCP' as const, port })) });
  }
  const annotations: Record<string, string> = {};
  if (access.notes.length > 0) annotations[NOTES_ANNOTATION] = access.notes.join('\n');
  if (access.sources.length > 0) annotations[SOURCES_ANNOTATION] = access.sources.join(',');
  const podSelector: LabelSelector = {
    ...(Object.keys(selector).length === 0 ? {} : { matchLabels: sorted(selector) }),
    matchExpressions: [{ key: SERVICE_ACCOUNT_LABEL, operator: 'Exists' }],
  };
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: ownedMetadata(policyName('weft', selector), namespace, annotations),
    spec: { podSelector, policyTypes: ['Ingress'], ingress },
  };
}

/** The narrowest access two groups share: used when one selector cannot tell their pods apart. */
function intersectAccess(a: PodAccess, b: PodAccess): PodAccess {
  const meshed: PeerSet = intersectPeers(a.meshed, b.meshed);
  return {
    meshed,
    plaintextPorts: a.plaintextPorts.filter((p) => b.plaintextPorts.includes(p)),
    inboundPort: a.inboundPort,
    notes: [
      ...new Set([
        ...a.notes,
        ...b.notes,
        'this selector also selects pods whose mesh policies allow less; it allows only what all of them allow',
      ]),
    ].sort(),
    sources: [...new Set([...a.sources, ...b.sources])].sort(),
  };
}

/**
 * Chooses a selector per group: the labels its pods share when those select no other meshed
 * pod, else one selector per distinct label set. Then every selector's access is narrowed to
 * what each pod it selects is allowed, because NetworkPolicies add up: no pod may get more.
 */
function selectGroups(
  groups: readonly Group[],
  meshedPods: readonly PodResource[],
): { selector: Record<string, string>; access: PodAccess }[] {
  const accessOf = new Map<PodResource, PodAccess>();
  for (const g of groups) for (const p of g.pods) accessOf.set(p, g.access);
  const chosen = new Map<string, { selector: Record<string, string>; access: PodAccess }>();
  for (const g of groups) {
    const common = commonLabels(g.pods);
    const selectors = meshedPods.every((p) => accessOf.get(p) === g.access || !matches(common, p))
      ? [common]
      : g.pods.map(stableLabels);
    for (const selector of selectors) {
      const key = JSON.stringify(sorted(selector));
      if (!chosen.has(key)) chosen.set(key, { selector, access: g.access });
    }
  }
  const out = [...chosen.values()];
  for (const entry of out) {
    for (const pod of meshedPods) {
      const own = accessOf.get(pod);
      if (own === undefined || !matches(entry.selector, pod) || accessKey(own) === accessKey(entry.access))
        continue;
      entry.access = intersectAccess(entry.access, own);
    }
  }
  return out;
}

/** What `podAccess` reads of a pod: labels, the two annotations, and container ports. */
function shapeKey(pod: PodResource): string {
  const a = pod.metadata.annotations ?? {};
  return JSON.stringify([
    sorted(pod.metadata.labels ?? {}),
    a[INBOUND_POLICY_ANNOTATION] ?? null,
    a[INBOUND_PORT_ANNOTATION] ?? null,
    pod.spec.containers.map((c) => c.ports ?? []),
  ]);
}

function effectiveDefault(ns: NamespaceResource | undefined, mesh: MeshConfig): string {
  return ns?.metadata.annotations?.[INBOUND_POLICY_ANNOTATION] ?? mesh.defaultInboundPolicy;
}

function defaultDenyPolicy(namespace: string): NetworkPolicyObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: ownedMetadata('weft-default-deny', namespace, {
      [NOTES_ANNOTATION]:
        'the mesh denies inbound traffic by default in this namespace; other generated policies open what it allows',
    }),
    spec: { podSelector: {}, policyTypes: ['Ingress'] },
  };
}

function controlPlanePolicies(namespace: string): NetworkPolicyObject[] {
  return CONTROL_PLANE_COMPONENTS.map(({ component, ports }) => ({
    apiVersion: 'networking.k8s.io/v1' as const,
    kind: 'NetworkPolicy' as const,
    metadata: ownedMetadata(`weft-${component}`, namespace, {}),
    spec: {
      podSelector: {
        matchLabels: { 'app.kubernetes.io/component': component, 'app.kubernetes.io/part-of': 'weft' },
      },
      policyTypes: ['Ingress' as const],
      // From anywhere: every proxy (Certify, Discovery), the API server (webhook), kubelet probes.
      ingress: [{ ports: ports.map((port) => ({ protocol: 'TCP' as const, port })) }],
    },
  }));
}

/** Compiles the NetworkPolicies for `inputs`; deterministic for equal inputs. */
export function compileNetworkPolicies(inputs: NetpolInputs): CompiledNetworkPolicies {
  const warnings: string[] = [];
  const inScope = (ns: string): boolean => inputs.scope === undefined || inputs.scope.includes(ns);
  const namespaces = new Map(inputs.namespaces.map((n) => [n.metadata.name, n]));
  const servicesByNs = new Map<string, ServiceModel[]>();
  for (const s of inputs.services) {
    const model = serviceFromResource(s, inputs.mesh.proxy.opaquePorts);
    servicesByNs.set(model.namespace, [...(servicesByNs.get(model.namespace) ?? []), model]);
  }
  const policiesByNs = new Map<string, AuthorizationPolicyResource[]>();
  for (const p of inputs.policies) {
    const ns = p.metadata.namespace ?? 'default';
    policiesByNs.set(ns, [...(policiesByNs.get(ns) ?? []), p]);
  }
  const meshedByNs = new Map<string, PodResource[]>();
  for (const pod of inputs.pods) {
    const ns = pod.metadata.namespace ?? 'default';
    if (!inScope(ns) || !isLive(pod) || !runsProxy(pod)) continue;
    if (pod.metadata.labels?.[SERVICE_ACCOUNT_LABEL] === undefined) {
      warnings.push(
        `pod ${ns}/${pod.metadata.name} runs the proxy but has no ${SERVICE_ACCOUNT_LABEL} label (injected by an older weft?): no policy selects it, and peers cannot reach it through the generated policies; restart it to re-inject`,
      );
      continue;
    }
    const list = meshedByNs.get(ns) ?? [];
    list.push(pod);
    meshedByNs.set(ns, list);
  }
  const out: NetworkPolicyObject[] = [];
  const namespacesInScope = new Set([...meshedByNs.keys()]);
  for (const [name, ns] of namespaces) {
    if (inScope(name) && ns.metadata.annotations?.['weft.dev/inject'] === 'enabled')
      namespacesInScope.add(name);
  }
  for (const namespace of namespacesInScope) {
    const nsResource = namespaces.get(namespace);
    const pods = (meshedByNs.get(namespace) ?? []).sort((a, b) =>
      a.metadata.name < b.metadata.name ? -1 : 1,
    );
    const groups = new Map<string, Group>();
    // Replicas share everything podAccess reads: compute it once per shape.
    const byShape = new Map<string, PodAccess>();
    for (const pod of pods) {
      const shape = shapeKey(pod);
      let access = byShape.get(shape);
      if (access === undefined) {
        access = podAccess(pod, {
          mesh: inputs.mesh,
          namespace: nsResource,
          services: servicesByNs.get(namespace) ?? [],
          policies: policiesByNs.get(namespace) ?? [],
        });
        byShape.set(shape, access);
      }
      const key = accessKey(access);
      const g = groups.get(key) ?? { namespace, pods: [], access };
      g.pods.push(pod);
      groups.set(key, g);
    }
    for (const { selector, access } of selectGroups([...groups.values()], pods)) {
      out.push(meshedPolicy(namespace, selector, access));
    }
    if (effectiveDefault(nsResource, inputs.mesh) === 'deny') out.push(defaultDenyPolicy(namespace));
  }
  if (inScope(inputs.controlPlaneNamespace)) out.push(...controlPlanePolicies(inputs.controlPlaneNamespace));
  const unique = new Map<string, NetworkPolicyObject>();
  for (const p of out) unique.set(`${p.metadata.namespace}/${p.metadata.name}`, p);
  return {
    policies: [...unique.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, p]) => p),
    warnings: warnings.sort(),
  };
}
