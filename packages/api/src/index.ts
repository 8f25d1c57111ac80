/** @weft/api: the contract between the control plane and the proxy, and the resource model. */

export type { ProtoGrpcType as DiscoveryProto } from './gen/discovery.js';
export type { ProtoGrpcType as IdentityProto } from './gen/identity.js';
export type { Ack, Ack__Output } from './gen/weft/discovery/v1alpha1/Ack.js';
export type { Destination, Destination__Output } from './gen/weft/discovery/v1alpha1/Destination.js';
export type { DiscoveryClient, DiscoveryHandlers } from './gen/weft/discovery/v1alpha1/Discovery.js';
export type {
  DiscoveryRequest,
  DiscoveryRequest__Output,
} from './gen/weft/discovery/v1alpha1/DiscoveryRequest.js';
export type {
  DiscoveryResponse,
  DiscoveryResponse__Output,
} from './gen/weft/discovery/v1alpha1/DiscoveryResponse.js';
export type {
  DnsRecord as DnsRecordMessage,
  DnsRecord__Output as DnsRecordMessage__Output,
} from './gen/weft/discovery/v1alpha1/DnsRecord.js';
export type {
  Endpoint as EndpointMessage,
  Endpoint__Output as EndpointMessage__Output,
} from './gen/weft/discovery/v1alpha1/Endpoint.js';
export type {
  GatewayBackend,
  GatewayBackend__Output,
} from './gen/weft/discovery/v1alpha1/GatewayBackend.js';
export type {
  GatewayCertificate,
  GatewayCertificate__Output,
} from './gen/weft/discovery/v1alpha1/GatewayCertificate.js';
export type { GatewayConfig, GatewayConfig__Output } from './gen/weft/discovery/v1alpha1/GatewayConfig.js';
export type { GatewayFilter, GatewayFilter__Output } from './gen/weft/discovery/v1alpha1/GatewayFilter.js';
export type {
  GatewayListener,
  GatewayListener__Output,
} from './gen/weft/discovery/v1alpha1/GatewayListener.js';
export {
  GatewayListenerProtocol,
  type GatewayListenerProtocol__Output,
} from './gen/weft/discovery/v1alpha1/GatewayListenerProtocol.js';
export type { GatewayRoute, GatewayRoute__Output } from './gen/weft/discovery/v1alpha1/GatewayRoute.js';
export type {
  InboundPolicy as InboundPolicyMessage,
  InboundPolicy__Output as InboundPolicyMessage__Output,
} from './gen/weft/discovery/v1alpha1/InboundPolicy.js';
export type { Node, Node__Output } from './gen/weft/discovery/v1alpha1/Node.js';
export type {
  PathNormalization as PathNormalizationMessage,
  PathNormalization__Output as PathNormalizationMessage__Output,
} from './gen/weft/discovery/v1alpha1/PathNormalization.js';
export type { Resource, Resource__Output } from './gen/weft/discovery/v1alpha1/Resource.js';
export type { CertifyRequest, CertifyRequest__Output } from './gen/weft/identity/v1alpha1/CertifyRequest.js';
export type {
  CertifyResponse,
  CertifyResponse__Output,
} from './gen/weft/identity/v1alpha1/CertifyResponse.js';
export type { IdentityClient, IdentityHandlers } from './gen/weft/identity/v1alpha1/Identity.js';
export { durationSchema, formatDurationMs, parseDurationMs } from './model/duration.js';
export {
  type BackendObjectRef,
  backendObjectRefSchema,
  backendRefSchema,
  FILTER_FIELD,
  GATEWAY_GROUP,
  HOSTNAME,
  type HttpRouteResource,
  hostnameSchema,
  httpRouteMatchSchema,
  httpRouteSchema,
  type ParentRef,
  parentRefSchema,
  type RouteBackendRef,
  type RouteFilter,
  routeFilterSchema,
} from './model/gateway.js';
export {
  GATEWAY_CONTROLLER_NAME,
  type GatewayClassResource,
  type GatewayResource,
  type GrpcRouteResource,
  gatewayClassSchema,
  gatewaySchema,
  grpcRouteMatchSchema,
  grpcRouteSchema,
  type LabelSelector,
  type ListenerSpec,
  labelSelectorSchema,
  listenerSchema,
  type ReferenceGrantResource,
  referenceGrantSchema,
} from './model/gateway-api.js';
export {
  type IngressBackend,
  type IngressResource,
  ingressSchema,
  TLS_SECRET_TYPE,
  type TlsSecretResource,
  tlsSecretSchema,
} from './model/ingress.js';
export {
  type EndpointSliceResource,
  endpointSliceResourceSchema,
  type NamespaceResource,
  namespaceResourceSchema,
  type PodResource,
  podResourceSchema,
  SERVICE_NAME_LABEL,
  type ServiceResource,
  serviceResourceSchema,
} from './model/kubernetes.js';
export {
  type AuthorizationAction,
  type AuthorizationRule,
  type Backend,
  type Endpoint,
  endpointSchema,
  type InboundPolicy,
  type PathMatch,
  type Protocol,
  protocolSchema,
  type RetryConfig,
  type Route,
  type RouteMatch,
  type Service,
  type ServicePort,
  servicePortSchema,
  serviceSchema,
  type TrafficPolicyConfig,
  type ValueMatch,
} from './model/mesh.js';
export {
  defaultMeshConfig,
  type MeshConfig,
  meshConfigSchema,
  type PathNormalizationConfig,
  pathNormalizationSchema,
} from './model/mesh-config.js';
export {
  DNS_LABEL,
  DNS_SUBDOMAIN,
  nameSchema,
  namespaceSchema,
  type ObjectMeta,
  objectMetaSchema,
  portSchema,
  type TargetRef,
  targetRefSchema,
} from './model/meta.js';
export { ConfigError, type ConfigIssue, formatPath, parseConfig } from './model/parse.js';
export {
  SMI_SPLIT_GROUP,
  SMI_SPLIT_VERSIONS,
  type TrafficSplitResource,
  trafficSplitSchema,
} from './model/smi.js';
export {
  type MeshConfigResource,
  meshConfigResourceSchema,
  type StaticEndpointsResource,
  staticEndpointSchema,
  staticEndpointsSchema,
} from './model/weft-local.js';
export {
  type AuthorizationPolicyResource,
  authorizationPolicySchema,
  RETRY_CONDITION,
  type TrafficPolicyResource,
  trafficPolicySchema,
  WEFT_API_VERSION,
  WEFT_GROUP,
} from './model/weft-policy.js';
export { loadDiscoveryProto, loadIdentityProto, PROTO_DIR, PROTO_LOADER_OPTIONS } from './proto.js';
