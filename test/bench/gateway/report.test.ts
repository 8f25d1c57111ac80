// The gateway benchmark's report: the median latency run, the goal ratios (handshakes on proxy
// CPU-seconds), the JSON line, and the section replaced in place.
import { describe, expect, it } from 'vitest';
import {
  BEGIN,
  END,
  gatewaySection,
  headlineJson,
  medianRun,
  ratios,
  replaceGatewaySection,
} from './report.mjs';

const row = (
  label: string,
  rps: number,
  cpu: number,
  p99: number,
  hs: number,
  hsCpu: number,
  rss: number,
) => ({
  label,
  idleRssMb: rss - 1,
  peakRssMb: rss,
  latency: [
    { p50: 0.2, p99: p99 + 5, cpuPercent: 10 },
    { p50: 0.2, p99, cpuPercent: 10 },
    { p50: 0.2, p99: p99 - 0.1, cpuPercent: 10 },
  ],
  max: { rps, cpuPercent: cpu, loadBusy: 1, proxyBusy: cpu / 100 },
  handshakes: { perSecond: hs, cpuPercent: 20, perCpuSecond: hsCpu, loadBusy: 1 },
});

const results = {
  weft: row('weft gateway', 30_000, 100, 1.5, 500, 2400, 130),
  haproxy: row('HAProxy', 45_000, 90, 1.0, 550, 3000, 20),
  nginx: row('nginx', 50_000, 95, 1.1, 520, 3200, 22),
  nodeTls: row('node:tls byte relay', 36_000, 100, 1.2, 510, 2500, 60),
};
const meta = {
  date: '2026-12-03T00:00:00.000Z',
  command: 'npm run bench:gateway',
  script: 'test/bench/gateway/bench-gateway.mjs',
  machine: '2 × test',
  node: 'v20',
  openssl: 'x',
  tools: 'y',
  loadBefore: [0.5, 0.4, 0.3],
  loadAfter: [1, 0.5, 0.3],
  gatewayTls: 'native',
  loadCore: 0,
  proxyCore: 1,
  plan: {
    rate: 1000,
    rateConnections: 16,
    latencyRuns: 3,
    latencySeconds: 10,
    latencyWarmupSeconds: 1,
    connections: 64,
    rounds: 3,
    maxSeconds: 5,
    warmupSeconds: 2,
    handshakeRounds: 3,
    handshakeSeconds: 5,
    handshakeClients: 8,
  },
};

describe('gateway benchmark report', () => {
  it('reports the run with the median p99', () => {
    expect(medianRun(results.weft.latency).p99).toBe(1.5);
    expect(medianRun([])).toBeUndefined();
  });

  it('computes the goal ratios against HAProxy (handshakes per proxy CPU-second)', () => {
    const r = ratios(results);
    expect(r.rps_vs_haproxy).toBeCloseTo(30_000 / 45_000);
    expect(r.goals.rps.met).toBe(true);
    expect(r.p99_added_vs_haproxy_ms).toBeCloseTo(0.5);
    expect(r.goals.p99.met).toBe(true);
    expect(r.handshakes_per_cpu_vs_haproxy).toBeCloseTo(0.8);
    expect(r.goals.handshakes.met).toBe(true);
    // The node:tls floor: Node's share of the gap, and the gateway against it.
    expect(r.node_tls_floor_rps_vs_haproxy).toBeCloseTo(36_000 / 45_000);
    expect(r.node_tls_floor_handshakes_per_cpu_vs_haproxy).toBeCloseTo(2500 / 3000);
    expect(r.gateway_vs_node_tls_floor_rps).toBeCloseTo(30_000 / 36_000);
    expect(r.gateway_vs_node_tls_floor_handshakes_per_cpu).toBeCloseTo(2400 / 2500);
    const slow = ratios({ ...results, weft: row('weft gateway', 20_000, 100, 2.5, 500, 2000, 130) });
    expect([slow.goals.rps.met, slow.goals.p99.met, slow.goals.handshakes.met]).toEqual([
      false,
      false,
      false,
    ]);
  });

  it('pairs the handshake rounds: each round against the same round of HAProxy', () => {
    const withRounds = (r: ReturnType<typeof row>, perRound: number[]) => ({
      ...r,
      handshakes: { ...r.handshakes, perRound },
    });
    const paired = {
      ...results,
      weft: withRounds(results.weft, [2000, 2600, 2400]),
      haproxy: withRounds(results.haproxy, [2500, 2600, 4000]),
    };
    const r = ratios(paired);
    expect(r.handshakes_per_cpu_vs_haproxy_by_round).toEqual([0.8, 1, 0.6]);
    // The goal stays on the pooled figures, not on a lucky round.
    expect(r.handshakes_per_cpu_vs_haproxy).toBeCloseTo(0.8);
    expect(headlineJson(paired, meta).gateway_vs_haproxy_handshakes_by_round).toEqual([0.8, 1, 0.6]);
    expect(gatewaySection(meta, paired)).toContain('round by round: 0.80, 1.00, 0.60, median 0.80)');
    // An older run without rounds: no per-round figures.
    expect(gatewaySection(meta, results)).toContain('round by round: —, median —)');
  });

  it('ends with JSON holding every figure, the ratios and the load', () => {
    const json = headlineJson(results, meta);
    expect(json.weft).toEqual({
      max_rps: 30000,
      proxy_cpu_percent_at_max: 100,
      p50_ms_at_1k: 0.2,
      p99_ms_at_1k: 1.5,
      handshakes_per_s: 500,
      handshakes_per_proxy_cpu_s: 2400,
      rss_mb_idle: 129,
      rss_mb_peak: 130,
    });
    expect(json.gateway_vs_haproxy_rps).toBe(0.667);
    expect(json.gateway_p99_added_vs_haproxy_ms).toBe(0.5);
    expect(json.goals_met).toEqual({ rps: true, p99: true, handshakes: true });
    expect(json.node_tls_floor_vs_haproxy_handshakes).toBe(0.833);
    expect(json.gateway_vs_node_tls_floor_handshakes).toBe(0.96);
    expect(json.load_average_before).toEqual([0.5, 0.4, 0.3]);
  });

  it('writes one table row per target and replaces its own section only', () => {
    const section = gatewaySection(meta, results);
    expect(section.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| target'))).toHaveLength(
      4,
    );
    expect(section).toContain('| weft gateway | 30000 | 0.67 |');
    expect(section).toContain('the gateway reaches 0.83× and 0.96× of it.');
    expect(section).toContain('ending TLS in its native addon');
    expect(gatewaySection({ ...meta, gatewayTls: 'node' }, results)).toContain('ending TLS with node:tls.');
    // Without the floor measured (an older run's results), no floor line.
    const { nodeTls: _floor, ...three } = results;
    expect(gatewaySection(meta, three)).not.toContain('node:tls floor in the same run');
    const doc = `# Benchmarks\n\nintro\n\n${BEGIN}\nold\n${END}\n\n## Later\ntext\n`;
    const replaced = replaceGatewaySection(doc, section);
    expect(replaced).not.toContain('\nold\n');
    expect(replaced).toContain('## Later\ntext');
    expect(replaced.indexOf('intro')).toBeLessThan(replaced.indexOf(BEGIN));
    expect(replaceGatewaySection(replaced, section)).toBe(replaced);
    expect(replaceGatewaySection('# Benchmarks\n', section)).toBe(
      `# Benchmarks\n\n${BEGIN}\n${section}\n${END}\n`,
    );
  });
});
