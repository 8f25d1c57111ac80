/**
 * The OpenTelemetry SDK for one binary: a tracer provider with parent-based ratio sampling,
 * a bounded batch span processor and an OTLP exporter (gRPC or HTTP/protobuf). Nothing is
 * registered globally: the binary passes the pipeline's tracer to whatever needs one.
 */

import { createRequire } from 'node:module';
import type { Attributes, Context, Tracer } from '@opentelemetry/api';
import type { ExportResult } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type {
  ReadableSpan,
  Sampler,
  SamplingResult,
  SpanExporter,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { describeError } from '@weft/core';
import { type Logger, silentLogger } from '../logging.js';
import type { OtlpProtocol, TracingConfig } from './config.js';
import { isRootSampled } from './root-sampling.js';
import { SpanExportCounter, type SpanExportStats } from './span-export-stats.js';

// The SDK, the resource detectors and the OTLP exporters (~11 MB resident with their gRPC and
// protobuf dependencies) are loaded on first use: a sidecar with tracing off never loads them.
// They are CommonJS packages, so a synchronous require keeps the pipeline's API synchronous.
const lazyRequire = createRequire(import.meta.url);
const sdk = (): typeof import('@opentelemetry/sdk-trace') => lazyRequire('@opentelemetry/sdk-trace');
const resources = (): typeof import('@opentelemetry/resources') => lazyRequire('@opentelemetry/resources');

/** Resource attribute keys of the Kubernetes semantic conventions (still "incubating" upstream). */
export const ATTR_K8S_NAMESPACE_NAME = 'k8s.namespace.name';
export const ATTR_K8S_POD_NAME = 'k8s.pod.name';

/** Who emits the spans: becomes the resource of every span. */
export interface TracingResourceInfo {
  /** `service.name`: the workload's service for a proxy, `weft-control-plane` for the control plane. */
  readonly serviceName: string;
  /** `k8s.namespace.name`. */
  readonly namespace?: string | undefined;
  /** `k8s.pod.name` (in local mode, the process's name for itself). */
  readonly podName?: string | undefined;
  /** `service.version`. */
  readonly version?: string | undefined;
  /** More resource attributes (e.g. `weft.component`). */
  readonly attributes?: Attributes;
}

/** Knobs of the export queue; the defaults suit a sidecar. */
export interface TracingPipelineOptions {
  /** Spans held while the collector is slow or down; more are dropped and counted. Default 2048. */
  readonly maxQueueSize?: number;
  /** Spans per export request. Default 128: smaller batches keep each export's pause on the event loop short. */
  readonly maxExportBatchSize?: number;
  /** Longest wait before a partial batch is sent (ms). Default 1000. */
  readonly scheduledDelayMillis?: number;
  /** Time limit of one export, retries included (ms). Default 10000. */
  readonly exportTimeoutMillis?: number;
  /** Instrumentation scope name of the tracer. Default `weft`. */
  readonly scopeName?: string;
  /** Replaces the OTLP exporter (tests). */
  readonly exporter?: SpanExporter;
  /** Where export failures and recoveries are logged (once per transition). */
  readonly logger?: Logger;
}

/** A running tracing pipeline. `shutdown()` flushes what is queued, then stops. */
export interface TracingPipeline {
  /** The tracer request-path code starts spans with. */
  readonly tracer: Tracer;
  /** The exporter's URL and protocol. */
  readonly url: string;
  readonly protocol: OtlpProtocol;
  readonly sampling: number;
  /** Span accounting (exported, dropped, failed, queued). */
  stats(): SpanExportStats;
  /** Exports everything queued now. */
  forceFlush(): Promise<void>;
  /** Flushes and releases the exporter's connections. Idempotent. */
  shutdown(): Promise<void>;
}

/** Builds the resource: SDK defaults < OTEL_RESOURCE_ATTRIBUTES/OTEL_SERVICE_NAME < weft's own. */
export function tracingResource(info: TracingResourceInfo): Resource {
  const own: Attributes = { [ATTR_SERVICE_NAME]: info.serviceName };
  if (info.namespace) own[ATTR_K8S_NAMESPACE_NAME] = info.namespace;
  if (info.podName) own[ATTR_K8S_POD_NAME] = info.podName;
  if (info.version) own[ATTR_SERVICE_VERSION] = info.version;
  const { defaultResource, envDetector, resourceFromAttributes } = resources();
  const fromEnv = envDetector.detect().attributes ?? {};
  return defaultResource()
    .merge(resourceFromAttributes(fromEnv))
    .merge(resourceFromAttributes({ ...info.attributes, ...own }));
}

/**
 * Samples new traces by trace id ratio, except roots the request path already decided to
 * sample (marked with `markRootSampled`), which it records as they are. Used as the root of
 * a parent-based sampler, so parents still decide for their children.
 */
export class WeftRootSampler implements Sampler {
  private readonly ratio: TraceIdRatioBasedSampler;
  private readonly recordAndSampled: SamplingResult;

  constructor(private readonly sampling: number) {
    const { SamplingDecision, TraceIdRatioBasedSampler } = sdk();
    this.ratio = new TraceIdRatioBasedSampler(sampling);
    this.recordAndSampled = { decision: SamplingDecision.RECORD_AND_SAMPLED };
  }

  shouldSample(context: Context, traceId: string): SamplingResult {
    if (isRootSampled(context)) return this.recordAndSampled;
    return this.ratio.shouldSample(context, traceId);
  }

  toString(): string {
    return `WeftRootSampler{ratio=${this.sampling}}`;
  }
}

function createOtlpExporter(url: string, protocol: OtlpProtocol, timeoutMillis: number): SpanExporter {
  // Headers, TLS files and compression still come from OTEL_EXPORTER_OTLP_* (the exporters read them).
  // Only the configured protocol's exporter is loaded.
  if (protocol === 'grpc') {
    const { OTLPTraceExporter } = lazyRequire(
      '@opentelemetry/exporter-trace-otlp-grpc',
    ) as typeof import('@opentelemetry/exporter-trace-otlp-grpc');
    return new OTLPTraceExporter({ url, timeoutMillis });
  }
  const { OTLPTraceExporter } = lazyRequire(
    '@opentelemetry/exporter-trace-otlp-proto',
  ) as typeof import('@opentelemetry/exporter-trace-otlp-proto');
  return new OTLPTraceExporter({ url, timeoutMillis });
}

/** Logs when exports start failing and when they recover: once per transition, never per batch. */
class TransitionLoggingExporter implements SpanExporter {
  private failing = false;
  private readonly success = (lazyRequire('@opentelemetry/core') as typeof import('@opentelemetry/core'))
    .ExportResultCode.SUCCESS;

  constructor(
    private readonly inner: SpanExporter,
    private readonly url: string,
    private readonly logger: Logger,
  ) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.inner.export(spans, (result) => {
      if (result.code === this.success) {
        if (this.failing) this.logger.info({ url: this.url }, 'span export recovered');
        this.failing = false;
      } else if (!this.failing) {
        this.failing = true;
        this.logger.warn(
          { url: this.url, err: describeError(result.error) },
          'span export failing; spans are dropped once the queue is full',
        );
      }
      done(result);
    });
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

/** Starts a pipeline for an enabled tracing config. */
export function createTracingPipeline(
  config: Extract<TracingConfig, { enabled: true }>,
  resource: TracingResourceInfo,
  options: TracingPipelineOptions = {},
): TracingPipeline {
  const maxQueueSize = options.maxQueueSize ?? 2048;
  const exportTimeoutMillis = options.exportTimeoutMillis ?? 10_000;
  const logger = options.logger ?? silentLogger();
  const { BatchSpanProcessor, ParentBasedSampler, TracerProvider } = sdk();
  const counter = new SpanExportCounter(maxQueueSize);
  const exporter = new TransitionLoggingExporter(
    options.exporter ?? createOtlpExporter(config.url, config.protocol, exportTimeoutMillis),
    config.url,
    logger,
  );
  const processor = new BatchSpanProcessor({
    exporter,
    maxQueueSize,
    maxExportBatchSize: Math.min(options.maxExportBatchSize ?? 128, maxQueueSize),
    scheduledDelayMillis: options.scheduledDelayMillis ?? 1000,
    exportTimeoutMillis,
    selfObsMeterProvider: counter,
  });
  const provider = new TracerProvider({
    resource: tracingResource(resource),
    sampler: new ParentBasedSampler({ root: new WeftRootSampler(config.sampling) }),
    spanProcessors: [processor],
  });
  let stopped: Promise<void> | undefined;
  return {
    tracer: provider.getTracer(options.scopeName ?? 'weft', resource.version),
    url: config.url,
    protocol: config.protocol,
    sampling: config.sampling,
    stats: () => counter.stats(),
    forceFlush: () => provider.forceFlush(),
    shutdown: () => {
      stopped ??= provider.shutdown().catch((err: unknown) => {
        logger.warn({ err: describeError(err) }, 'tracing shutdown did not flush every span');
      });
      return stopped;
    },
  };
}
