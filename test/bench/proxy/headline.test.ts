import { describe, expect, it } from 'vitest';
import { summarizeGcTrace } from './gc-trace.mjs';
import { headline, readinessText, replaceSection, sectionBegin, summarizeReadiness } from './report.mjs';

// The issue-14 headline figures, derived from canned inputs: a --trace-gc log as Node 20 and
// Node 24 print it (mixed with the sidecar's own stdout), sidecar start-ups, and result rows.

const NODE20_LOG = `{"event":"listening","inbound":40001,"outbound":40002,"admin":40003}
[4242:0x5a1c2e0]      812 ms: Scavenge 3.9 (4.0) -> 3.7 (5.0) MB, 0.62 / 0.00 ms  (average mu = 1.000, current mu = 1.000) allocation failure; 
{"event":"ready","ms":301.5,"timeline":{"run":180.2,"ready":301.5}}
[4242:0x5a1c2e0]     1590 ms: Scavenge 4.1 (6.0) -> 3.8 (6.0) MB, 1.87 / 0.12 ms  (average mu = 0.998, current mu = 0.997) task; 
[4242:0x5a1c2e0]     2950 ms: Mark-Compact 13.9 (18.5) -> 10.6 (19.4) MB, 7.25 / 0.00 ms  (+ 12.4 ms in 30 steps since start of marking, biggest step 3.1 ms, walltime since start of marking 40 ms) (average mu = 0.990, current mu = 0.985) finalize incremental marking via task; GC in old space requested
[4242:0x5a1c2e0]     3001 ms: Scavenge 4.0 (6.0) -> 3.9 (6.0) MB, 0.91 / 0.00 ms  (average mu = 0.990, current mu = 0.990) allocation failure; 
`;

const NODE24_LOG = `[77:0x3c0a000]      171 ms: Scavenge (interleaved) 4.7 (5.1) -> 4.4 (6.1) MB, pooled: 0 MB, 2.35 / 0.00 ms  (average mu = 1.000, current mu = 1.000) allocation failure; 
[77:0x3c0a000]      414 ms: Mark-Compact (reduce) 14.4 (27.7) -> 11.8 (28.8) MB, pooled: 0 MB, 0.95 / 0.00 ms  (average mu = 0.805, current mu = 0.805) finalize incremental marking via stack guard; GC in old space requested
[77:0x3c0a000]      902 ms: Minor Mark-Sweep 5.0 (7.0) -> 4.1 (7.0) MB, pooled: 0 MB, 1.10 / 0.00 ms  (average mu = 0.9, current mu = 0.9) allocation failure; 
not a gc line: Scavenge 99.9 / 0.00 ms
`;

describe('summarizeGcTrace', () => {
  it('reads Node 20 lines: the main-thread pause, not the incremental steps or the sidecar output', () => {
    const s = summarizeGcTrace(NODE20_LOG);
    expect(s.count).toBe(4);
    expect(s.youngCount).toBe(3);
    expect(s.maxYoungPauseMs).toBe(1.87);
    expect(s.maxFullPauseMs).toBe(7.25);
    expect(s.maxPauseMs).toBe(7.25);
    expect(s.events[0]).toEqual({ atMs: 812, name: 'Scavenge', kind: 'young', pauseMs: 0.62 });
  });

  it('reads Node 24 lines (interleaved scavenges, "pooled", minor mark-sweep)', () => {
    const s = summarizeGcTrace(NODE24_LOG);
    expect(s.count).toBe(3);
    expect(s.youngCount).toBe(2);
    expect(s.maxYoungPauseMs).toBe(2.35);
    expect(s.maxFullPauseMs).toBe(0.95);
    expect(s.maxPauseMs).toBe(2.35);
  });

  it('is null, not zero, when there was no collection', () => {
    const s = summarizeGcTrace('{"event":"listening"}\n');
    expect(s.count).toBe(0);
    expect(s.maxPauseMs).toBeNull();
  });
});

describe('summarizeReadiness', () => {
  it('takes the median start and the median of each step all starts reported', () => {
    const r = summarizeReadiness([
      { readyMs: 410, timeline: { run: 200, listening: 260, ready: 400 } },
      { readyMs: 290, timeline: { run: 150, listening: 190, ready: 280 } },
      { readyMs: 350, timeline: { run: 170, listening: 230, ready: 340 } },
    ]);
    expect(r?.readyMs).toBe(350);
    expect(r?.runs).toEqual([410, 290, 350]);
    expect(r?.steps).toEqual({ run: 170, listening: 230, ready: 340 });
    expect(summarizeReadiness([])).toBeUndefined();
  });
});

const row = (key: string, result: Record<string, unknown>) => ({ key, label: key, result });
const latencyRow = (maxRps: number, p99: number, extra: Record<string, unknown> = {}) => ({
  maxRps,
  latency: { p50: p99 / 2, p99 },
  rssMb: 100,
  rssMbPerProcess: 55.04,
  ...extra,
});

describe('headline (issue 14 figures)', () => {
  const gc = summarizeGcTrace(NODE20_LOG);
  const readiness = summarizeReadiness([
    { readyMs: 280.4, timeline: {} },
    { readyMs: 310, timeline: {} },
    { readyMs: 295.6, timeline: {} },
  ]);
  const rows = [
    row('direct', latencyRow(100_000, 0.3)),
    row('weft-mesh', latencyRow(12_000, 1.25, { gc, readyMs: readiness?.readyMs, readiness })),
    row('haproxy-mtls', latencyRow(24_000, 0.9)),
  ];

  it('derives the mesh ratio, added p99, largest sidecar, ready ms and longest GC pause', () => {
    const h = headline(rows, []);
    expect(h.mesh_vs_haproxy_mtls_pair).toBe(0.5);
    expect(h.mesh_added_p99_ms).toBe(0.95);
    expect(h.mesh_sidecar_rss_mb).toBe(55);
    expect(h.sidecar_ready_ms).toBe(296);
    expect(h.gc_max_pause_ms_at_1k).toBe(7.25);
  });

  it('is null for each figure whose measurement is missing', () => {
    const h = headline([row('direct', latencyRow(100_000, 0.3))], []);
    expect(h.mesh_sidecar_rss_mb).toBeNull();
    expect(h.sidecar_ready_ms).toBeNull();
    expect(h.gc_max_pause_ms_at_1k).toBeNull();
    const noGc = headline([row('weft-mesh', latencyRow(1, 1, { gc: summarizeGcTrace('') }))], []);
    expect(noGc.gc_max_pause_ms_at_1k).toBeNull();
  });

  it('writes the start-up and GC lines for the docs', () => {
    const text = readinessText({ ...rows[1]?.result, gcMaxPauseRuns: [7.25, 3.1] });
    expect(text).toContain('exec → ready (ms): 280, 310, 296');
    expect(text).toContain('longest scavenge 1.87 ms, longest full GC 7.25 ms');
    expect(readinessText(undefined)).toMatch(/not measured/);
  });
});

describe('replaceSection', () => {
  const legacy =
    '# Benchmarks\n\n<!-- bench:proxy begin (generated by npm run bench:proxy; edits are overwritten) -->\n' +
    'Node v20.20.2 run\n<!-- bench:proxy end -->\n\n## Proxy metrics\nkept\n';

  it('keeps one section per Node major version and the rest of the page', () => {
    const on20 = replaceSection(legacy, 'run on Node v20.21.0', 20);
    expect(on20).not.toContain('Node v20.20.2 run');
    expect(on20).toContain(`${sectionBegin(20)}\nrun on Node v20.21.0\n`);
    const both = replaceSection(on20, 'run on Node v24.1.0', 24);
    expect(both.indexOf(sectionBegin(20))).toBeLessThan(both.indexOf(sectionBegin(24)));
    expect(both).toContain('run on Node v20.21.0');
    expect(both).toContain('## Proxy metrics\nkept\n');
    const again = replaceSection(both, 'second run on Node v24.2.0', 24);
    expect(again).not.toContain('run on Node v24.1.0');
    expect(again).toContain('run on Node v20.21.0');
    expect(again.split('<!-- bench:proxy end -->').length).toBe(3);
  });

  it('does not take another version’s old section as its own', () => {
    const on24 = replaceSection(legacy, 'run on Node v24.1.0', 24);
    expect(on24).toContain('Node v20.20.2 run');
    expect(on24).toContain(sectionBegin(24));
  });
});
