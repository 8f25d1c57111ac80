/** The live view of `weft up --demo`: a pure function from numbers to text (no terminal codes). */
import type { ReplicaRow } from './view-rows.js';

export { percentile } from './sliding-window.js';

/** What the load generator saw in the window (the client's view of the whole mesh). */
export interface ClientSummary {
  readonly ok: number;
  readonly failed: number;
  readonly p50Ms: number | undefined;
  readonly p99Ms: number | undefined;
}

export interface ViewModel {
  readonly uptimeSeconds: number;
  /** The window every number is measured over. */
  readonly windowSeconds: number;
  readonly rows: readonly ReplicaRow[];
  /** Lines flagged with "!" (replicas without an endpoint, a collector that cannot be reached). */
  readonly warnings: readonly string[];
  /** Responses per api version in the window (the measured split). */
  readonly split: ReadonlyMap<string, number>;
  readonly client: ClientSummary;
  /** `file:line: Kind/name: reason` of each rejected resource. */
  readonly rejected: readonly string[];
  /** Extra lines (mTLS, traces). */
  readonly notes: readonly string[];
}

const fmtMs = (v: number | undefined) =>
  v === undefined ? '-' : `${v < 10 ? v.toFixed(1) : Math.round(v)}ms`;
const fmtPct = (v: number | undefined) => (v === undefined ? '-' : `${(v * 100).toFixed(2)}%`);
const MAX_REJECTED_SHOWN = 5;

/** Renders the view as lines of text. */
export function renderView(m: ViewModel): string {
  const header = ['SERVICE', 'REPLICA', 'ENDPOINT', 'RPS', 'SUCCESS', 'P50', 'P99'];
  let last = '';
  const body = m.rows.map((r) => {
    const service = r.service === last ? '' : r.service;
    last = r.service;
    return [
      service,
      r.replica,
      r.endpoint,
      r.requestsPerSecond === undefined ? '-' : r.requestsPerSecond.toFixed(1),
      fmtPct(r.successRate),
      fmtMs(r.p50Ms),
      fmtMs(r.p99Ms),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i < 3 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const total = [...m.split.values()].reduce((s, n) => s + n, 0);
  const split =
    total === 0
      ? 'measured split: (no responses yet)'
      : `measured split: ${[...m.split.entries()]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([name, n]) => `${name} ${((100 * n) / total).toFixed(1)}%`)
          .join(' / ')}  (${total} responses)`;
  const rejected =
    m.rejected.length === 0
      ? ['rejected resources: 0']
      : [
          `rejected resources: ${m.rejected.length}`,
          ...m.rejected.slice(0, MAX_REJECTED_SHOWN).map((r) => `  ${r}`),
          ...(m.rejected.length > MAX_REJECTED_SHOWN
            ? [`  … ${m.rejected.length - MAX_REJECTED_SHOWN} more`]
            : []),
        ];
  return [
    `weft demo mesh — up ${Math.floor(m.uptimeSeconds)}s — every number is over the last ${m.windowSeconds}s — Ctrl-C to stop`,
    '',
    line(header),
    ...body.map(line),
    ...m.warnings.map((w) => `! ${w}`),
    '',
    `${split}`,
    `client (loadgen -> web): ${m.client.ok} ok, ${m.client.failed} failed, p50 ${fmtMs(m.client.p50Ms)}, p99 ${fmtMs(m.client.p99Ms)}`,
    "RPS and SUCCESS: each replica's proxy (inbound); P50/P99: exact, of each replica's own handling time",
    ...rejected,
    ...m.notes,
  ].join('\n');
}
