/**
 * Owns a weft binary's tracing: resolves the config (flags, OTEL_* env, mesh config), runs the
 * pipeline, and swaps it when the control plane pushes a different mesh tracing config. The
 * proxy and the control plane both use it; the proxy's request tracing follows `pipeline`.
 */

import { ProxyTracerProvider, type Tracer } from '@opentelemetry/api';
import { describeError } from '@weft/core';
import { type Logger, silentLogger } from '../logging.js';
import {
  type ExplicitTracingSettings,
  type MeshTracingSettings,
  resolveTracingConfig,
  type TracingConfig,
} from './config.js';
import {
  createTracingPipeline,
  type TracingPipeline,
  type TracingPipelineOptions,
  type TracingResourceInfo,
} from './pipeline.js';
import type { SpanExportStats } from './span-export-stats.js';

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
 * The tracing of one binary. Users keep one reference across config changes and read
 * `tracer` (or `pipeline`) per use.
 */
export class TracingController {
  private config: TracingConfig;
  private running: TracingPipeline | undefined;
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
    return this.running?.tracer ?? DISABLED_TRACER;
  }

  /**
   * The running pipeline (its tracer and sampling ratio), undefined while tracing is off. A new
   * object after every config change, so a user may rebuild what it derived when it differs.
   */
  get pipeline(): Pick<TracingPipeline, 'tracer' | 'sampling'> | undefined {
    return this.running;
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
    const live = this.running?.stats() ?? { exported: 0, dropped: 0, failed: 0, queued: 0, capacity: 0 };
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
    await this.running?.forceFlush();
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
    this.running = createTracingPipeline(config, this.options.resource, {
      ...this.options.pipeline,
      logger: this.options.pipeline?.logger ?? this.logger,
    });
    this.logger.info(
      { url: config.url, protocol: config.protocol, sampling: config.sampling, source: config.source },
      'tracing enabled',
    );
  }

  private retire(): void {
    const old = this.running;
    this.running = undefined;
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
