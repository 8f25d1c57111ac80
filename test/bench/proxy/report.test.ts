import { describe, expect, it } from 'vitest';
import { percentile, summarizeRequestLog } from './load.mjs';
import { headline, httpTable, tcpTable } from './report.mjs';

// The benchmark's pure parts: percentiles from h2load's log, the tables and the headline.

describe('summarizeRequestLog', () => {
  it('drops the warm-up, then gives nearest-rank percentiles in ms', () => {
    const t0 = 1_700_000_000_000_000;
    const lines = [`${t0}\t200\t99000`]; // warm-up: dropped
    for (let i = 1; i <= 100; i++) lines.push(`${t0 + 1_000_000 + i * 10_000}\t200\t${i * 100}`);
    const s = summarizeRequestLog(lines.join('\n'), 1);
    expect(s.count).toBe(100);
    expect(s.p50).toBe(5);
    expect(s.p99).toBe(9.9);
    expect(s.max).toBe(10);
    expect(s.non200).toBe(0);
    expect(s.achievedRate).toBeCloseTo(100, 0);
  });

  it('counts responses that were not 200', () => {
    const s = summarizeRequestLog('1000000\t200\t100\n1000001\t503\t100\n', 0);
    expect(s.non200).toBe(1);
  });
});

describe('percentile', () => {
  it('uses the nearest rank and is NaN for no samples', () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([1, 2, 3, 4], 99)).toBe(4);
    expect(percentile([], 50)).toBeNaN();
  });
});

const http = (key: string, maxRps: number, p99: number, rss = 10) => ({
  key,
  label: key,
  result: {
    maxRps,
    cpuAtMax: 1,
    coresAtMax: [1, 1],
    latency: { p50: p99 / 2, p99 },
    rssIdleMb: rss,
    rssMb: rss,
    rssMbPerProcess: rss / 2,
    cpuPer1k: 0.1,
    p99Runs: [p99],
  },
});
const tcp = (key: string, gbps: number) => ({ key, label: key, result: { gbps, cpu: 1, cores: [1, 1] } });

describe('headline', () => {
  it('computes the ratios the issue asks for from the rows', () => {
    const rows = [
      http('direct', 100_000, 0.2),
      http('weft-outbound', 20_000, 0.5, 50),
      http('weft-mesh', 8_000, 1.7, 120),
      http('haproxy', 40_000, 0.3),
      http('node-http-proxy', 10_000, 0.9),
    ];
    const h = headline(rows, [tcp('weft-tcp', 3), tcp('haproxy-tcp', 6)]);
    expect(h.http_vs_haproxy).toBe(0.5);
    expect(h.http_vs_node_http_proxy).toBe(2);
    expect(h.tcp_vs_haproxy).toBe(0.5);
    expect(h.mesh_added_p99_ms).toBe(1.5);
    expect(h.sidecar_rss_mb).toBe(60);
  });

  it('is null where a row did not run, never a made-up number', () => {
    const rows = [
      http('direct', 100_000, 0.2),
      { key: 'weft-mesh', label: 'weft-mesh', skipped: 'not built' },
    ];
    const h = headline(rows, []);
    expect(h.mesh_added_p99_ms).toBeNull();
    expect(h.http_vs_haproxy).toBeNull();
  });
});

describe('tables', () => {
  it('writes ratios to HAProxy and to direct, and says why a row did not run', () => {
    const rows = [
      http('direct', 100_000, 0.2),
      http('haproxy', 50_000, 0.3),
      { key: 'weft-mesh', label: 'mesh', skipped: 'no CLI' },
    ];
    const table = httpTable(rows, { loadCore: 0, proxyCore: 1 });
    expect(table).toContain('| haproxy | 50000 | 1.00 | 0.50 |');
    expect(table).toContain('| mesh | not run: no CLI |');
    const t = tcpTable([tcp('direct-tcp', 10), tcp('haproxy-tcp', 5)], { loadCore: 0, proxyCore: 1 });
    expect(t).toContain('| haproxy-tcp | 5.00 | 1.00 | 0.50 |');
  });
});
