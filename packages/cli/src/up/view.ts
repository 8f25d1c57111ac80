/** The live terminal view of `weft up --demo`: a pure function from numbers to text. */

/** Golden metrics for one service over the last window. */
export interface ServiceRow {
  service: string;
  requestsPerSecond: number;
  /** 0..1, or undefined when there were no requests. */
  successRate: number | undefined;
  p50Ms: number | undefined;
  p99Ms: number | undefined;
}

export interface ViewModel {
  uptimeSeconds: number;
  rows: readonly ServiceRow[];
  /** Responses per api version since start (the measured split). */
  split: ReadonlyMap<string, number>;
  /** Extra lines (how to reach Jaeger, mTLS status). */
  notes: readonly string[];
}

/** Returns the p-th percentile (0..100) of `values` by nearest rank, or undefined when empty. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

const fmtMs = (v: number | undefined) =>
  v === undefined ? '-' : `${v < 10 ? v.toFixed(1) : Math.round(v)}ms`;
const fmtPct = (v: number | undefined) => (v === undefined ? '-' : `${(v * 100).toFixed(2)}%`);

/** Renders the view as lines of text (no terminal control codes). */
export function renderView(model: ViewModel): string {
  const header = ['SERVICE', 'RPS', 'SUCCESS', 'P50', 'P99'];
  const body = model.rows.map((r) => [
    r.service,
    r.requestsPerSecond.toFixed(1),
    fmtPct(r.successRate),
    fmtMs(r.p50Ms),
    fmtMs(r.p99Ms),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  const total = [...model.split.values()].reduce((s, n) => s + n, 0);
  const split =
    total === 0
      ? 'measured split: (no responses yet)'
      : `measured split: ${[...model.split.entries()]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([name, n]) => `${name} ${((100 * n) / total).toFixed(1)}%`)
          .join(' / ')}  (${total} responses)`;
  return [
    `weft demo mesh — up ${Math.floor(model.uptimeSeconds)}s — Ctrl-C to stop`,
    '',
    line(header),
    ...body.map(line),
    '',
    split,
    ...model.notes,
  ].join('\n');
}
