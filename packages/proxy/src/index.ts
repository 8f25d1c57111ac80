/**
 * @weft/proxy: the sidecar proxy. This entry exports what other packages and the cross-package
 * tests and benchmarks use, and nothing else; everything else stays inside the package.
 */
export { decideAuthz } from './authz/decide.js';
export type { InboundPolicy } from './discovery/resolver.js';
export { DiscoveryState } from './discovery/state.js';
export { DiscoveryStreamClient } from './discovery/stream-client.js';
export { grpcCertificateClient } from './identity/certificate-client.js';
export { CertificateManager } from './identity/certificate-manager.js';
export { requestSvid, SVID_FILES, type Svid, writeSvid } from './identity/svid.js';
export { defaultProxyOptions, type InboundMapping, type UpstreamListener } from './options.js';
export { Sidecar } from './proxy.js';
export type { IdentitySource } from './run.js';
export { headerSourceGetter, MeshPropagator, replaceTraceHeaders } from './telemetry/propagation.js';
export { createProxyMetrics } from './telemetry/proxy-metrics.js';
export {
  ControllerRequestTracing,
  DISABLED_REQUEST_TRACING,
  RequestTracer,
} from './telemetry/request-tracing.js';
export type { TracedRequest } from './telemetry/span-attributes.js';
export { StaticCertificateSource } from './tls/certificate-source.js';
