/**
 * Owns a binary's tracing: resolves the config (flags, OTEL_* env, mesh config), runs the
 * pipeline, and swaps it when the control plane pushes a different mesh tracing config.
 */

import { ProxyTracerProvider, type Tracer } from '@opentelemetry/api';
import { describeError } from '@weft/core';
import { type Logger, silentLogger } from '@weft/runtime';
import {
  DISABLED_REQUEST_TRACING,
  type RequestSpan,
  RequestTracer,
  type RequestTracing,
} from './request-tracing.js';
import type { TracedRequest } from './span-attributes.js';
import type { SpanExportStats } from './span-export-stats.js';
import {
  type ExplicitTracingSettings,
  type MeshTracingSettings,
  resolveTracingConfig,
  type TracingConfig,
} from './tracing-config.js';
import {
  createTracingPipeline,
  type TracingPipeline,
  type TracingPipelineOptions,
  type TracingResourceInfo,
} from './tracing-pipeline.js';

export type { TracingResourceInfo } from './tracing-pipeline.js';

/** Options of {@link TracingController}. */
export interface TracingControllerOptions {
  /** Flags (`--otlp`, `--otlp-protocol`, `--trace-sampling`) or their WEFT_* variables. */
  readonly explicit?: ExplicitTracingSettings;
  /** Usually `process.env` (OTEL_EXPORTER_OTLP_*, OTEL_TRACES_SAMPLER*, OTEL_SDK_DISABLED). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The mesh config known at start, if any (the control plane pushes it later otherwise). */
  readonly mesh?: MeshTracingSettings;
  readonly resource: TracingResourceInfo;
  readonly pipeline?: TracingPipelineOptions;
  readonly logger?: Logger;
  /** Longest `close()` waits for queued spans to be exported (ms). Default 2000. */
  readonly closeTimeoutMillis?: number;
}

const DISABLED_TRACER: Tracer = new ProxyTracerProvider().getTracer('weft-disabled');

function sameConfig(a: TracingConfig, b: TracingConfig): boolean {
  if (!a.enabled || !b.enabled) return a.enabled === b.enabled;
  return a.url === b.url && a.protocol === b.protocol && a.sampling === b.sampling;
}

/**
 * The tracing of one binary. Implements {@link RequestTracing} by delegating to the current
 * pipeline, so request-path layers keep one reference across config changes.
 */
export class TracingController implements RequestTracing {
  private config: TracingConfig;
  private pipeline: TracingPipeline | undefined;
  private requests: RequestTracing = DISABLED_REQUEST_TRACING;
  private readonly retired = { exported: 0, dropped: 0, failed: 0 };
  private readonly draining = new Set<Promise<void>>();
  private readonly logger: Logger;

  /** Throws WeftError INVALID_CONFIG when a flag or variable is malformed. */
  constructor(private readonly options: TracingControllerOptions) {
    this.logger = options.logger ?? silentLogger();
    this.config = { enabled: false, reason: 'not started' };
    this.install(resolveTracingConfig({ explicit: options.explicit, env: options.env, mesh: options.mesh }));
  }

  /** The effective config. */
  get current(): TracingConfig {
    return this.config;
  }

  /** The current tracer (a no-op one when disabled); read it per use, it changes with the config. */
  get tracer(): Tracer {
    return this.pipeline?.tracer ?? DISABLED_TRACER;
  }

  startRequest(request: TracedRequest): RequestSpan {
    return this.requests.startRequest(request);
  }

  /**
   * Applies the mesh config's tracing section (flags and OTEL_* still win). Rebuilds the
   * pipeline only when the effective settings change. Throws WeftError INVALID_CONFIG and
   * keeps the current pipeline when the section is invalid (the discovery client NACKs).
   */
  applyMeshConfig(mesh: MeshTracingSettings): TracingConfig {
    const next = resolveTracingConfig({ explicit: this.options.explicit, env: this.options.env, mesh });
    if (!sameConfig(this.config, next)) this.install(next);
    return this.config;
  }

  /** Span accounting since start, across pipeline swaps. */
  stats(): SpanExportStats {
    const live = this.pipeline?.stats() ?? { exported: 0, dropped: 0, failed: 0, queued: 0, capacity: 0 };
    return {
      exported: this.retired.exported + live.exported,
      dropped: this.retired.dropped + live.dropped,
      failed: this.retired.failed + live.failed,
      queued: live.queued,
      capacity: live.capacity,
    };
  }

  /** Exports what is queued now. */
  async forceFlush(): Promise<void> {
    await this.pipeline?.forceFlush();
  }

  /**
   * Flushes and stops every pipeline, waiting at most `closeTimeoutMillis` for the collector;
   * tracing is disabled afterwards.
   */
  async close(): Promise<void> {
    this.retire();
    this.config = { enabled: false, reason: 'closed' };
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.options.closeTimeoutMillis ?? 2000);
      timer.unref();
    });
    await Promise.race([Promise.all([...this.draining]), limit]);
    clearTimeout(timer);
  }

  private install(config: TracingConfig): void {
    this.retire();
    this.config = config;
    if (!config.enabled) {
      this.logger.info({ reason: config.reason }, 'tracing disabled');
      return;
    }
    this.pipeline = createTracingPipeline(config, this.options.resource, {
      ...this.options.pipeline,
      logger: this.options.pipeline?.logger ?? this.logger,
    });
    this.requests = new RequestTracer({ tracer: this.pipeline.tracer, sampling: config.sampling });
    this.logger.info(
      { url: config.url, protocol: config.protocol, sampling: config.sampling, source: config.source },
      'tracing enabled',
    );
  }

  private retire(): void {
    const old = this.pipeline;
    this.pipeline = undefined;
    this.requests = DISABLED_REQUEST_TRACING;
    if (old === undefined) return;
    const done = old
      .shutdown()
      .catch((err: unknown) =>
        this.logger.warn({ err: describeError(err) }, 'tracing pipeline did not stop cleanly'),
      )
      .finally(() => {
        const s = old.stats();
        this.retired.exported += s.exported;
        this.retired.dropped += s.dropped;
        this.retired.failed += s.failed;
        this.draining.delete(done);
      });
    this.draining.add(done);
  }
}
