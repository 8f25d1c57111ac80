/** @weft/proxy. */
export {
  b3EncodingOf,
  clearB3,
  type IncomingHeaders,
  incomingHeadersGetter,
  MeshPropagator,
  type OutgoingHeaders,
  outgoingHeadersSetter,
  TRACE_HEADERS,
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
  TracedConnection,
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
