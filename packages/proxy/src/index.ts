/** @weft/proxy: the sidecar proxy. */
export { AdminServer, type AdminSource } from './admin/admin-server.js';
export { type AuthzDecision, type AuthzSubject, decideAuthz } from './authz/decide.js';
export { noControlPlane } from './discovery/no-control-plane.js';
export type {
  Destination,
  DestinationBackend,
  DestinationEndpoint,
  DestinationResolver,
  InboundPolicy,
  InboundPolicySource,
  Resolution,
  WaitResult,
} from './discovery/resolver.js';
export { type ApplyResult, DiscoveryState } from './discovery/state.js';
export { type DiscoveryClientOptions, DiscoveryStreamClient } from './discovery/stream-client.js';
export type { OriginalDstReader } from './listeners/runtime.js';
export { createProxyMetrics, type ProxyMetrics } from './metrics/proxy-metrics.js';
export {
  DEFAULT_HARDENING,
  DEFAULT_OPAQUE_PORTS,
  defaultProxyOptions,
  type HardeningOptions,
  type InboundMapping,
  type ProxyOptions,
  type UpstreamListener,
} from './options.js';
export { type ListeningPorts, type ProxyDeps, Sidecar } from './proxy.js';
export {
  loadOriginalDstReader,
  PROXY_VERSION,
  type RunningSidecar,
  type RunSidecarOptions,
  runSidecar,
} from './run.js';
export {
  type CertificateMaterial,
  type CertificateSource,
  StaticCertificateSource,
} from './tls/certificate-source.js';
