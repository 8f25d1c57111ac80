// @weft/runtime: the I/O-side building blocks that weft's binaries share and that core, which
// holds only pure logic, must not. Each lives in one file named for what it is.
// The restartable informer is the subpath `@weft/runtime/informer`: it loads
// @kubernetes/client-node, which a sidecar importing this index must not.

export {
  type AdminRoute,
  AdminServer,
  type AdminServerOptions,
  isLoopbackAddress,
  sendAdmin,
  sendAdminJson,
} from './admin-server.js';
export { Backoff, type BackoffSettings } from './backoff.js';
export {
  createLogger,
  type Logger,
  type LoggerOptions,
  logFormat,
  prettyStream,
  silentLogger,
  subsystemLogger,
} from './logging.js';
export {
  histogramBuckets,
  histogramQuantile,
  labelsMatch,
  parsePrometheusText,
  type Sample,
  sumSamples,
} from './prometheus-text.js';
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
  type TracingConfigInputs,
} from './tracing/config.js';
export { TracingController, type TracingControllerOptions } from './tracing/controller.js';
export {
  ATTR_K8S_NAMESPACE_NAME,
  ATTR_K8S_POD_NAME,
  createTracingPipeline,
  type TracingPipeline,
  type TracingPipelineOptions,
  type TracingResourceInfo,
  tracingResource,
  WeftRootSampler,
} from './tracing/pipeline.js';
export { isRootSampled, markRootSampled, unsampledTraceparent } from './tracing/root-sampling.js';
export type { SpanExportStats } from './tracing/span-export-stats.js';
