/** The control plane's view of its tracing pipeline on its Prometheus registry. */

import type { SpanExportStats } from '@weft/runtime';
import { Counter, Gauge, type Registry } from 'prom-client';

/**
 * Registers `weft_trace_spans_total{result}` and `weft_trace_queue_spans` on `registry`,
 * read from `stats` at each scrape (the same names the proxies use).
 */
export function registerTracingMetrics(registry: Registry, stats: () => SpanExportStats): void {
  let last = { exported: 0, dropped: 0, failed: 0 };
  new Counter({
    name: 'weft_trace_spans_total',
    help: 'Finished sampled spans by what became of them.',
    labelNames: ['result'] as const,
    registers: [registry],
    collect() {
      const s = stats();
      for (const result of ['exported', 'dropped', 'failed'] as const) {
        const delta = s[result] - last[result];
        if (delta > 0) this.inc({ result }, delta);
        else this.inc({ result }, 0);
      }
      last = { exported: s.exported, dropped: s.dropped, failed: s.failed };
    },
  });
  new Gauge({
    name: 'weft_trace_queue_spans',
    help: 'Spans waiting for export.',
    registers: [registry],
    collect() {
      this.set(stats().queued);
    },
  });
}
