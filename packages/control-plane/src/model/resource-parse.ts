/** Reads a raw manifest: which kind it is (by apiVersion and kind) and its validated, typed form. */
import {
  type AuthorizationPolicyResource,
  authorizationPolicySchema,
  ConfigError,
  type EndpointSliceResource,
  endpointSliceResourceSchema,
  GATEWAY_GROUP,
  type GatewayClassResource,
  type GatewayResource,
  type GrpcRouteResource,
  gatewayClassSchema,
  gatewaySchema,
  grpcRouteSchema,
  type HttpRouteResource,
  httpRouteSchema,
  type IngressResource,
  ingressSchema,
  type MeshConfigResource,
  meshConfigResourceSchema,
  type NamespaceResource,
  namespaceResourceSchema,
  type PodResource,
  parseConfig,
  podResourceSchema,
  type ReferenceGrantResource,
  referenceGrantSchema,
  type ServiceResource,
  SMI_SPLIT_GROUP,
  type StaticEndpointsResource,
  serviceResourceSchema,
  staticEndpointsSchema,
  TLS_SECRET_TYPE,
  type TlsSecretResource,
  type TrafficPolicyResource,
  type TrafficSplitResource,
  tlsSecretSchema,
  trafficPolicySchema,
  trafficSplitSchema,
  WEFT_API_VERSION,
} from '@weft/api';
import type { ResourceKind, ResourceRef } from '../sources/config-source.js';

/** A resource that passed its schema, tagged by kind. */
export type ParsedResource =
  | { readonly kind: 'Namespace'; readonly value: NamespaceResource }
  | { readonly kind: 'Pod'; readonly value: PodResource }
  | { readonly kind: 'Service'; readonly value: ServiceResource }
  | { readonly kind: 'EndpointSlice'; readonly value: EndpointSliceResource }
  | { readonly kind: 'TrafficSplit'; readonly value: TrafficSplitResource }
  | { readonly kind: 'HTTPRoute'; readonly value: HttpRouteResource }
  | { readonly kind: 'TrafficPolicy'; readonly value: TrafficPolicyResource }
  | { readonly kind: 'AuthorizationPolicy'; readonly value: AuthorizationPolicyResource }
  | { readonly kind: 'StaticEndpoints'; readonly value: StaticEndpointsResource }
  | { readonly kind: 'MeshConfig'; readonly value: MeshConfigResource }
  | { readonly kind: 'GatewayClass'; readonly value: GatewayClassResource }
  | { readonly kind: 'Gateway'; readonly value: GatewayResource }
  | { readonly kind: 'GRPCRoute'; readonly value: GrpcRouteResource }
  | { readonly kind: 'ReferenceGrant'; readonly value: ReferenceGrantResource }
  | { readonly kind: 'Ingress'; readonly value: IngressResource }
  | { readonly kind: 'Secret'; readonly value: TlsSecretResource };

const CLUSTER_SCOPED: ReadonlySet<ResourceKind> = new Set(['Namespace', 'MeshConfig', 'GatewayClass']);

/** The kind weft reads for an apiVersion + kind pair, or undefined when weft ignores it. */
export function kindOf(apiVersion: unknown, kind: unknown): ResourceKind | undefined {
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return undefined;
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.lastIndexOf('/')) : '';
  switch (kind) {
    case 'Namespace':
    case 'Pod':
    case 'Service':
    case 'Secret':
      return apiVersion === 'v1' ? kind : undefined;
    case 'EndpointSlice':
      return group === 'discovery.k8s.io' ? kind : undefined;
    case 'TrafficSplit':
      return group === SMI_SPLIT_GROUP ? kind : undefined;
    case 'HTTPRoute':
    case 'GatewayClass':
    case 'Gateway':
    case 'GRPCRoute':
    case 'ReferenceGrant':
      return group === GATEWAY_GROUP ? kind : undefined;
    case 'Ingress':
      return group === 'networking.k8s.io' ? kind : undefined;
    case 'TrafficPolicy':
    case 'AuthorizationPolicy':
    case 'StaticEndpoints':
    case 'MeshConfig':
      return apiVersion === WEFT_API_VERSION ? kind : undefined;
    default:
      return undefined;
  }
}

/** The outcome of reading one raw object's identity. */
export type RefResult =
  | { readonly type: 'ref'; readonly ref: ResourceRef }
  | { readonly type: 'ignored'; readonly reason: string }
  | { readonly type: 'error'; readonly message: string };

/**
 * Finds the ref of a raw object; `defaultNamespace` fills in a missing namespace (folder mode
 * uses "default", as kubectl does).
 */
export function refOf(object: unknown, defaultNamespace: string): RefResult {
  if (typeof object !== 'object' || object === null || Array.isArray(object)) {
    return { type: 'error', message: 'a manifest must be a mapping with apiVersion, kind and metadata' };
  }
  const o = object as Record<string, unknown>;
  if (typeof o.apiVersion !== 'string' || typeof o.kind !== 'string') {
    return { type: 'error', message: 'apiVersion and kind are required strings' };
  }
  const kind = kindOf(o.apiVersion, o.kind);
  if (kind === undefined)
    return { type: 'ignored', reason: `${o.apiVersion} ${o.kind} is not a kind weft reads` };
  // The gateway reads TLS Secrets only; any other Secret (a token, a password) is not weft's.
  if (kind === 'Secret' && o.type !== TLS_SECRET_TYPE)
    return { type: 'ignored', reason: `only Secrets of type ${TLS_SECRET_TYPE} are read` };
  const meta = o.metadata as Record<string, unknown> | undefined;
  if (typeof meta !== 'object' || meta === null || typeof meta.name !== 'string' || meta.name === '') {
    return { type: 'error', message: 'metadata.name: required' };
  }
  if (CLUSTER_SCOPED.has(kind)) return { type: 'ref', ref: { kind, namespace: '', name: meta.name } };
  const namespace = meta.namespace === undefined ? defaultNamespace : meta.namespace;
  if (typeof namespace !== 'string' || namespace === '')
    return { type: 'error', message: 'metadata.namespace: must be a string' };
  return { type: 'ref', ref: { kind, namespace, name: meta.name } };
}

/** Validates a raw object against its kind's schema; throws a ConfigError naming the field. */
export function parseResource(ref: ResourceRef, object: unknown, source: string): ParsedResource {
  switch (ref.kind) {
    case 'Namespace':
      return { kind: ref.kind, value: parseConfig(namespaceResourceSchema, object, source) };
    case 'Pod':
      return { kind: ref.kind, value: parseConfig(podResourceSchema, object, source) };
    case 'Service':
      return { kind: ref.kind, value: parseConfig(serviceResourceSchema, object, source) };
    case 'EndpointSlice':
      return { kind: ref.kind, value: parseConfig(endpointSliceResourceSchema, object, source) };
    case 'TrafficSplit':
      return { kind: ref.kind, value: parseConfig(trafficSplitSchema, object, source) };
    case 'HTTPRoute':
      return { kind: ref.kind, value: parseConfig(httpRouteSchema, object, source) };
    case 'TrafficPolicy':
      return { kind: ref.kind, value: parseConfig(trafficPolicySchema, object, source) };
    case 'AuthorizationPolicy':
      return { kind: ref.kind, value: parseConfig(authorizationPolicySchema, object, source) };
    case 'StaticEndpoints':
      return { kind: ref.kind, value: parseConfig(staticEndpointsSchema, object, source) };
    case 'MeshConfig':
      return { kind: ref.kind, value: parseConfig(meshConfigResourceSchema, object, source) };
    case 'GatewayClass':
      return { kind: ref.kind, value: parseConfig(gatewayClassSchema, object, source) };
    case 'Gateway':
      return { kind: ref.kind, value: parseConfig(gatewaySchema, object, source) };
    case 'GRPCRoute':
      return { kind: ref.kind, value: parseConfig(grpcRouteSchema, object, source) };
    case 'ReferenceGrant':
      return { kind: ref.kind, value: parseConfig(referenceGrantSchema, object, source) };
    case 'Ingress':
      return { kind: ref.kind, value: parseConfig(ingressSchema, object, source) };
    case 'Secret':
      return { kind: ref.kind, value: parseConfig(tlsSecretSchema, object, source) };
  }
}

export { ConfigError };
