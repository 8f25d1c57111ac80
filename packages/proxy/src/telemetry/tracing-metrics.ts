/** Prometheus view of a tracing pipeline's span accounting (exported, dropped, failed, queued). */

import type { SpanExportStats } from '@weft/runtime';
import type { Renderable } from './metrics-registry.js';
import type { RequestTracing } from './request-tracing.js';

/** The request path's tracing plus its accounting: what a Sidecar is given (a TracingController). */
export interface ProxyTracing extends RequestTracing {
  stats(): SpanExportStats;
}

/** Renders `weft_trace_spans_total{result}` and the export queue's gauges. */
export class TracingMetrics implements Renderable {
  constructor(private readonly stats: () => SpanExportStats) {}

  render(): string {
    const s = this.stats();
    return [
      '# HELP weft_trace_spans_total Finished sampled spans by what became of them.',
      '# TYPE weft_trace_spans_total counter',
      `weft_trace_spans_total{result="exported"} ${s.exported}`,
      `weft_trace_spans_total{result="dropped"} ${s.dropped}`,
      `weft_trace_spans_total{result="failed"} ${s.failed}`,
      '# HELP weft_trace_queue_spans Spans waiting for export.',
      '# TYPE weft_trace_queue_spans gauge',
      `weft_trace_queue_spans ${s.queued}`,
      '# HELP weft_trace_queue_capacity_spans Spans the export queue holds before dropping.',
      '# TYPE weft_trace_queue_capacity_spans gauge',
      `weft_trace_queue_capacity_spans ${s.capacity}`,
      '',
    ].join('\n');
  }
}
