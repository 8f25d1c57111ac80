/** The Kubernetes resources the control plane watches: API paths, and which are CRDs that may be missing. */
import type { ResourceKind } from '../sources/config-source.js';

export interface WatchedKind {
  readonly kind: ResourceKind;
  /** API group ("" for core). */
  readonly group: string;
  /** Versions to try, preferred first (the first the server serves is watched). */
  readonly versions: readonly string[];
  readonly plural: string;
  /** True for custom resources: watched only when the server serves them. */
  readonly optional: boolean;
  /** Whether the kind has a status subresource weft writes conditions to. */
  readonly status: boolean;
  /** A field selector for lists and watches (only TLS Secrets are read). */
  readonly fieldSelector?: string;
}

const GATEWAY_API = 'gateway.networking.k8s.io';

export const WATCHED_KINDS: readonly WatchedKind[] = [
  { kind: 'Namespace', group: '', versions: ['v1'], plural: 'namespaces', optional: false, status: false },
  { kind: 'Pod', group: '', versions: ['v1'], plural: 'pods', optional: false, status: false },
  { kind: 'Service', group: '', versions: ['v1'], plural: 'services', optional: false, status: false },
  {
    kind: 'EndpointSlice',
    group: 'discovery.k8s.io',
    versions: ['v1'],
    plural: 'endpointslices',
    optional: false,
    status: false,
  },
  {
    kind: 'TrafficSplit',
    group: 'split.smi-spec.io',
    versions: ['v1alpha4', 'v1alpha3', 'v1alpha2', 'v1alpha1'],
    plural: 'trafficsplits',
    optional: true,
    status: true,
  },
  {
    kind: 'HTTPRoute',
    group: 'gateway.networking.k8s.io',
    versions: ['v1', 'v1beta1'],
    plural: 'httproutes',
    optional: true,
    status: true,
  },
  // The ingress gateway's inputs. Optional: a cluster without the Gateway API CRDs (or without
  // the RBAC to read Secrets and Ingresses) still runs the mesh; they are probed again later.
  {
    kind: 'GatewayClass',
    group: GATEWAY_API,
    versions: ['v1', 'v1beta1'],
    plural: 'gatewayclasses',
    optional: true,
    status: true,
  },
  {
    kind: 'Gateway',
    group: GATEWAY_API,
    versions: ['v1', 'v1beta1'],
    plural: 'gateways',
    optional: true,
    status: true,
  },
  {
    kind: 'GRPCRoute',
    group: GATEWAY_API,
    versions: ['v1'],
    plural: 'grpcroutes',
    optional: true,
    status: true,
  },
  {
    kind: 'ReferenceGrant',
    group: GATEWAY_API,
    versions: ['v1', 'v1beta1'],
    plural: 'referencegrants',
    optional: true,
    status: false,
  },
  {
    kind: 'Ingress',
    group: 'networking.k8s.io',
    versions: ['v1'],
    plural: 'ingresses',
    optional: true,
    status: false,
  },
  {
    kind: 'Secret',
    group: '',
    versions: ['v1'],
    plural: 'secrets',
    optional: true,
    status: false,
    fieldSelector: 'type=kubernetes.io/tls',
  },
  {
    kind: 'TrafficPolicy',
    group: 'weft.dev',
    versions: ['v1alpha1'],
    plural: 'trafficpolicies',
    optional: true,
    status: true,
  },
  {
    kind: 'AuthorizationPolicy',
    group: 'weft.dev',
    versions: ['v1alpha1'],
    plural: 'authorizationpolicies',
    optional: true,
    status: true,
  },
];

/** The apiVersion of a group/version. */
export function apiVersionOf(group: string, version: string): string {
  return group === '' ? version : `${group}/${version}`;
}

/** The cluster-wide collection path, e.g. /api/v1/pods or /apis/weft.dev/v1alpha1/trafficpolicies. */
export function collectionPath(group: string, version: string, plural: string): string {
  return group === '' ? `/api/${version}/${plural}` : `/apis/${group}/${version}/${plural}`;
}

/** A collection path with the kind's field selector, if it has one. */
export function selectedPath(w: WatchedKind, version: string, query = ''): string {
  const params = new URLSearchParams(query);
  if (w.fieldSelector !== undefined) params.set('fieldSelector', w.fieldSelector);
  const q = params.toString();
  return `${collectionPath(w.group, version, w.plural)}${q === '' ? '' : `?${q}`}`;
}

/** The path of one namespaced object. */
export function objectPath(
  group: string,
  version: string,
  plural: string,
  namespace: string,
  name: string,
): string {
  const base = group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
  return `${base}/namespaces/${encodeURIComponent(namespace)}/${plural}/${encodeURIComponent(name)}`;
}
