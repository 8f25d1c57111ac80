/** @weft/proxy: the sidecar proxy. */
export { AdminServer, type AdminSource, type AdminSurface } from './admin/admin-server.js';
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
export {
  type CertificateClient,
  type CertifyClientResult,
  type CertifyReply,
  type GrpcCertificateClientOptions,
  grpcCertificateClient,
} from './identity/certificate-client.js';
export {
  CertificateManager,
  type CertificateManagerEvents,
  type CertificateManagerOptions,
  type RenewalFailure,
} from './identity/certificate-manager.js';
export {
  type RequestSvidOptions,
  requestSvid,
  SVID_FILES,
  type Svid,
  type SvidRequestResult,
  writeSvid,
} from './identity/svid.js';
export { telemetryLayer } from './layers/telemetry.js';
export type { OriginalDstReader } from './listeners/runtime.js';
export { createProxyMetrics, type ProxyMetrics } from './metrics/proxy-metrics.js';
export {
  adminAddressProblem,
  DEFAULT_HARDENING,
  DEFAULT_OPAQUE_PORTS,
  defaultProxyOptions,
  type HardeningOptions,
  type InboundMapping,
  type ProxyOptions,
  type UpstreamListener,
} from './options.js';
export { ensureOriginalDstAddon, getOriginalDst, type OriginalDst } from './original-dst.js';
export { type ListeningPorts, type ProxyDeps, Sidecar } from './proxy.js';
export type { IdentitySource } from './run.js';
export {
  loadOriginalDstReader,
  PROXY_VERSION,
  type RunningSidecar,
  type RunSidecarOptions,
  runSidecar,
} from './run.js';
export {
  histogramBuckets,
  histogramQuantile,
  labelsMatch,
  parsePrometheusText,
  type Sample,
  sumSamples,
} from './telemetry/prometheus-text.js';
export {
  b3EncodingOf,
  type HeaderSource,
  headerSourceGetter,
  MeshPropagator,
  replaceTraceHeaders,
  replaceTraceHeadersIn,
  TRACE_HEADERS,
  type TraceHeaders,
} from './telemetry/propagation.js';
export {
  isFailureStatus,
  LATENCY_BUCKETS_MS,
  type RequestLabels,
  RequestMetrics,
  type RequestMetricsOptions,
  RequestSeries,
} from './telemetry/request-metrics.js';
export {
  type RequestObserver,
  RequestTelemetry,
  type TelemetryDeps,
} from './telemetry/request-telemetry.js';
export {
  type AttemptSpan,
  DISABLED_REQUEST_TRACING,
  NOOP_REQUEST_SPAN,
  type RequestSpan,
  RequestTracer,
  type RequestTracerOptions,
  type RequestTracing,
} from './telemetry/request-tracing.js';
export { isRootSampled, markRootSampled, unsampledTraceparent } from './telemetry/root-sampling.js';
export type {
  AttemptInfo,
  Direction,
  RouteInfo,
  TracedPeer,
  TracedRequest,
} from './telemetry/span-attributes.js';
export type { SpanExportStats } from './telemetry/span-export-stats.js';
export {
  DEFAULT_OTLP_PROTOCOL,
  type ExplicitTracingSettings,
  type MeshTracingSettings,
  type OtlpProtocol,
  otlpUrl,
  parseOtlpProtocol,
  parseSamplingRatio,
  resolveTracingConfig,
  type TracingConfig,
} from './telemetry/tracing-config.js';
export { TracingController, type TracingControllerOptions } from './telemetry/tracing-controller.js';
export { type ProxyTracing, TracingMetrics } from './telemetry/tracing-metrics.js';
export {
  createTracingPipeline,
  type TracingPipeline,
  type TracingPipelineOptions,
  type TracingResourceInfo,
  tracingResource,
  WeftRootSampler,
} from './telemetry/tracing-pipeline.js';
export {
  type CertificateMaterial,
  type CertificateSource,
  StaticCertificateSource,
} from './tls/certificate-source.js';
export { certificateSourceFrom } from './tls/managed-certificate-source.js';
