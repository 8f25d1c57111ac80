/**
 * Counts what happens to finished spans (exported, dropped because the queue was full,
 * failed to export) by listening to the SDK batch processor's own self-observability
 * metric `otel.sdk.processor.span.processed`, through a minimal MeterProvider.
 */
import {
  type Attributes,
  type BatchObservableCallback,
  type Counter,
  createNoopMeter,
  type Histogram,
  type Meter,
  type MeterProvider,
  type MetricOptions,
  type Observable,
  type ObservableCallback,
  type ObservableCounter,
  type ObservableGauge,
  type ObservableResult,
  type ObservableUpDownCounter,
  type Gauge as OtelGauge,
  type UpDownCounter,
} from '@opentelemetry/api';

/** A snapshot of one tracing pipeline's span accounting. */
export interface SpanExportStats {
  /** Spans the collector accepted. */
  readonly exported: number;
  /** Spans dropped because the export queue was full (collector slow or down). */
  readonly dropped: number;
  /** Spans in batches whose export failed (after the exporter's own retries). */
  readonly failed: number;
  /** Spans waiting in the queue now. */
  readonly queued: number;
  /** The queue's capacity. */
  readonly capacity: number;
}

const PROCESSED = 'otel.sdk.processor.span.processed';
const QUEUE_SIZE = 'otel.sdk.processor.span.queue.size';
const ERROR_TYPE = 'error.type';

class NoopObservableResult implements ObservableResult {
  value = 0;
  observe(value: number): void {
    this.value = value;
  }
}

/**
 * A MeterProvider that only understands the batch span processor's instruments. Give it to
 * the processor as `selfObsMeterProvider`; read the counts with {@link stats}.
 */
export class SpanExportCounter implements MeterProvider {
  private exported = 0;
  private dropped = 0;
  private failed = 0;
  private readonly queueCallbacks: ObservableCallback[] = [];
  private readonly meter: Meter;

  constructor(private readonly capacity: number) {
    const noop = createNoopMeter();
    const processed: Counter = {
      add: (value: number, attributes?: Attributes) => {
        const errorType = attributes?.[ERROR_TYPE];
        if (errorType === undefined) this.exported += value;
        else if (errorType === 'queue_full') this.dropped += value;
        else this.failed += value;
      },
    };
    const queueSize: ObservableUpDownCounter = {
      addCallback: (cb: ObservableCallback) => {
        this.queueCallbacks.push(cb);
      },
      removeCallback: (cb: ObservableCallback) => {
        const i = this.queueCallbacks.indexOf(cb);
        if (i >= 0) this.queueCallbacks.splice(i, 1);
      },
    };
    this.meter = {
      createCounter: (name: string, options?: MetricOptions) =>
        name === PROCESSED ? processed : noop.createCounter(name, options),
      createObservableUpDownCounter: (name: string, options?: MetricOptions) =>
        name === QUEUE_SIZE ? queueSize : noop.createObservableUpDownCounter(name, options),
      createGauge: (name: string, options?: MetricOptions): OtelGauge => noop.createGauge(name, options),
      createHistogram: (name: string, options?: MetricOptions): Histogram =>
        noop.createHistogram(name, options),
      createUpDownCounter: (name: string, options?: MetricOptions): UpDownCounter =>
        noop.createUpDownCounter(name, options),
      createObservableGauge: (name: string, options?: MetricOptions): ObservableGauge =>
        noop.createObservableGauge(name, options),
      createObservableCounter: (name: string, options?: MetricOptions): ObservableCounter =>
        noop.createObservableCounter(name, options),
      addBatchObservableCallback: (cb: BatchObservableCallback, observables: Observable[]) =>
        noop.addBatchObservableCallback(cb, observables),
      removeBatchObservableCallback: (cb: BatchObservableCallback, observables: Observable[]) =>
        noop.removeBatchObservableCallback(cb, observables),
    };
  }

  getMeter(): Meter {
    return this.meter;
  }

  /** The counts so far. */
  stats(): SpanExportStats {
    let queued = 0;
    for (const cb of this.queueCallbacks) {
      const result = new NoopObservableResult();
      void cb(result);
      queued += result.value;
    }
    return {
      exported: this.exported,
      dropped: this.dropped,
      failed: this.failed,
      queued,
      capacity: this.capacity,
    };
  }
}
