/** @weft/control-plane: config sources, the mesh model, and the Discovery gRPC service. */
export { AdminServer, type AdminServerOptions, isLoopback, type ReadyCheck } from './admin/admin-server.js';
export {
  coalescedGather,
  type GatheredProxy,
  type GatherOptions,
  gatherProxyMetrics,
} from './admin/proxy-metrics.js';
export {
  ControlPlane,
  type ControlPlaneAddresses,
  type ControlPlaneOptions,
  type GrpcService,
} from './control-plane.js';
export type { DashboardSnapshot, ProxyView, StreamInfo } from './dashboard/dashboard-feed.js';
export { DashboardFeed, type DashboardFeedOptions } from './dashboard/dashboard-feed.js';
export type { DashboardOptions } from './dashboard/dashboard-wiring.js';
export {
  DEFAULT_MAX_STREAM_AGE_MS,
  DiscoveryService,
  type DiscoveryServiceOptions,
  type DrainOptions,
  type ProxyAdminEndpoint,
  type Registrar,
} from './discovery/discovery-service.js';
export { peerAddress } from './discovery/node-workload.js';
export {
  type AuthenticatedCall,
  certificateIdentity,
  type PeerIdentity,
  parseWorkloadId,
  type WorkloadIdentity,
} from './discovery/peer-identity.js';
export {
  joinTokenRegistrationAuthorizer,
  type RegistrationAuthorizer,
  type RegistrationDecision,
  type RegistrationRefusal,
} from './discovery/registration-authorizer.js';
export { RECONNECT_KEY } from './discovery/stream-connection.js';
export { passThroughBuffers, ResponseEncoder } from './discovery/wire.js';
export { GatewayModel, type GatewayStatusChange } from './gateway/gateway-model.js';
export { type GatewayInputs, type GatewayTranslation, translateGateways } from './gateway/translate.js';
export {
  Certifier,
  type CertifierOptions,
  type CertifyOutcome,
  type CertifyRequest,
  DEFAULT_CERTIFY_RATE_LIMIT,
} from './identity/certifier.js';
export {
  type CertifyPaceOptions,
  CertifyPacer,
  DEFAULT_CERTIFY_PACE,
} from './identity/certify-pacer.js';
export {
  type ControlPlaneIdentity,
  type ControlPlaneIdentityOptions,
  loadControlPlaneIdentity,
} from './identity/control-plane-identity.js';
export {
  DEFAULT_IDENTITY_RELOAD_MS,
  folderIdentitySource,
  IdentityReloader,
  type IdentityReloaderOptions,
  type IdentitySource,
  type ReloadRejection,
  type ReloadResult,
} from './identity/identity-reloader.js';
export { addIdentityService, type IdentityServiceOptions } from './identity/identity-service.js';
export { type JoinTokenValidatorOptions, joinTokenValidator } from './identity/join-token-validator.js';
export {
  kubernetesTokenReviewer,
  kubernetesTokenValidator,
  type TokenReviewer,
} from './identity/kubernetes-token-validator.js';
export { createIdentityMetrics, type IdentityMetrics } from './identity/metrics.js';
export { type CallWithAuthContext, type PeerIdentityPolicy, peerIdentity } from './identity/peer-identity.js';
export type { RateLimitOptions } from './identity/rate-limiter.js';
export {
  controlPlaneDnsNames,
  createIdentityServerCredentials,
  type ServingCredentials,
  type ServingCredentialsOptions,
} from './identity/serving-credentials.js';
export {
  routingTokenValidator,
  type TokenRejection,
  type TokenValidation,
  type TokenValidator,
} from './identity/token-validator.js';
export {
  checkWorkloadCertTtl,
  MIN_WORKLOAD_CERT_TTL_MS,
  type WorkloadCertTtl,
} from './identity/workload-cert-ttl.js';
export { GatewayStatusWriter, type GatewayStatusWriterOptions } from './kubernetes/gateway-status-writer.js';
export { IDENTITY_SECRETS, secretIdentitySource } from './kubernetes/identity-secrets.js';
export { KubeApiError, kubeRequest } from './kubernetes/kube-client.js';
export { type KubeConfigFlags, loadKubeConfig } from './kubernetes/kubeconfig.js';
export { KubernetesSource, type KubernetesSourceOptions } from './kubernetes/kubernetes-source.js';
export {
  alwaysLeader,
  DEFAULT_LEASE_DURATION_MS,
  type Leadership,
  LeaseElector,
  type LeaseElectorOptions,
  type LeaseObservation,
} from './kubernetes/lease-elector.js';
export {
  CONTROLLER_NAME,
  KubernetesStatusWriter,
  type KubernetesStatusWriterOptions,
} from './kubernetes/status-writer.js';
export { ControlPlaneMetrics } from './metrics.js';
export { type InboundInputs, inboundPolicy, type WorkloadRef } from './model/inbound.js';
export {
  type ChangeSet,
  type ConditionChange,
  MeshState,
  type MeshStateOptions,
  type StoredResource,
} from './model/mesh-state.js';
export { type ParsedName, parseName } from './model/resolve.js';
export { type DestinationResult, type Resolution, ResourceBuilder } from './model/resource-builder.js';
export type { Condition } from './model/routing.js';
export { serviceFromResource } from './model/service-model.js';
export {
  CONTROL_PLANE_COMPONENTS,
  type CompiledNetworkPolicies,
  compileNetworkPolicies,
  type NetpolInputs,
  PROXY_ADMIN_PORT,
} from './netpol/compile.js';
export {
  type Connection,
  type Endpoint as NetpolEndpoint,
  type EvaluatedPolicy,
  evaluateConnection,
  selectorMatches,
  type Verdict,
} from './netpol/evaluate.js';
export {
  GENERATED_LABEL,
  GENERATED_SELECTOR,
  GENERATED_VALUE,
  isLabelValue,
  NOTES_ANNOTATION,
  SERVICE_ACCOUNT_LABEL,
} from './netpol/labels.js';
export {
  type NetpolControllerOptions,
  NetworkPolicyController,
  type ReconcileOutcome,
} from './netpol/netpol-controller.js';
export type { NetworkPolicyObject } from './netpol/network-policy.js';
export { hasPeer, type PeerSet } from './netpol/peer-set.js';
export { type PodAccess, type PodAccessInputs, podAccess } from './netpol/pod-access.js';
export { type ClusterRead, type ReadClusterOptions, readNetpolInputs } from './netpol/read-cluster.js';
export { netpolInputsFromState } from './netpol/state-inputs.js';
export {
  DEFAULT_SHUTDOWN_DRAIN_MS,
  type LeaderElectionOptions,
  type RunningControlPlane,
  type SourceChoice,
  type StartControlPlaneOptions,
  startControlPlane,
} from './run.js';
export {
  type ConfigSource,
  type EventSink,
  formatRef,
  type Origin,
  RESOURCE_KINDS,
  type Registration,
  type ResourceKind,
  type ResourceRef,
  refKey,
  type SourceEvent,
} from './sources/config-source.js';
export {
  type FolderError,
  FolderSource,
  type FolderSourceOptions,
  formatFolderError,
} from './sources/folder-source.js';
export { MeshConfigFileSource, type MeshConfigFileSourceOptions } from './sources/mesh-config-file-source.js';
export { RegistrationSource, type RegistrationSourceOptions } from './sources/registration-source.js';
export { formatRejection, rejectionLine } from './sources/rejection.js';
export {
  type ValidateOptions,
  type ValidationFinding,
  type ValidationReport,
  validateManifests,
} from './sources/validate-manifests.js';
export { LogStatusReporter, type StatusReporter } from './status/status-reporter.js';
export {
  type CertifySpan,
  noTracer,
  recordNack,
  recordPush,
  startCertifySpan,
  type TracerSource,
  type TracingStats,
} from './telemetry/control-plane-tracing.js';
export { registerTracingMetrics } from './telemetry/tracing-metrics.js';
