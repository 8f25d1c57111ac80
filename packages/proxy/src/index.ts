/** @weft/proxy. */
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
export {
  createTracingPipeline,
  type TracingPipeline,
  type TracingPipelineOptions,
  type TracingResourceInfo,
  tracingResource,
  WeftRootSampler,
} from './telemetry/tracing-pipeline.js';
