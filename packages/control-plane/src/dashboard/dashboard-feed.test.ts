/** The dashboard feed: 1,000 simulated proxies aggregated correctly in one update, shared by every caller. */
import { describe, expect, it } from 'vitest';
import type { GatheredProxy } from '../admin/proxy-metrics.js';
import type { ProxyAdminEndpoint } from '../discovery/discovery-service.js';
import { DashboardFeed, type StreamInfo } from './dashboard-feed.js';

const TD = 'spiffe://cluster.local/ns/shop/sa';
const BOUNDS = [1, 5, 10, 50, 100];

/** The exposition of one server proxy that saw `n` requests from `client` (`bad` of them 5xx, `denied` 403). */
function exposition(o: {
  client: string;
  n: number;
  bad: number;
  denied: number;
  slowMs: number;
  backend?: string;
  start: number;
}) {
  const peer = `direction="inbound",authority="x",route="",peer_identity="${o.client}",tls="true"`;
  const lines = [
    '# HELP weft_requests_total requests',
    `weft_requests_total{${peer}} ${o.n}`,
    `weft_responses_total{${peer},status_code="200",classification="success"} ${o.n - o.bad - o.denied}`,
    `weft_responses_total{${peer},status_code="403",classification="success"} ${o.denied}`,
    `weft_responses_total{${peer},status_code="503",classification="failure"} ${o.bad}`,
    ...BOUNDS.map((le) => `weft_response_latency_ms_bucket{${peer},le="${le}"} ${le >= o.slowMs ? o.n : 0}`),
    `weft_response_latency_ms_bucket{${peer},le="+Inf"} ${o.n}`,
    `weft_identity_cert_expiration_timestamp_seconds 2000000000`,
    `process_start_time_seconds ${o.start}`,
  ];
  if (o.backend !== undefined) {
    lines.push(`weft_proxy_upstream_attempts_total{backend="${o.backend}",outcome="2xx"} ${o.n}`);
    lines.push(`weft_proxy_retry_stops_total{backend="${o.backend}",reason="budget-exhausted"} ${o.bad}`);
  }
  return `${lines.join('\n')}\n`;
}

const PROXIES = 1000;
/** Proxy i serves `svc-(i % 10)` and is called by `client-(i % 7)`. */
const endpoints: ProxyAdminEndpoint[] = Array.from({ length: PROXIES }, (_, i) => ({
  namespace: 'shop',
  workload: `w${i}`,
  service: `svc-${i % 10}`,
  address: '127.0.0.1',
  adminPort: 10_000 + i,
}));
const streams: StreamInfo[] = endpoints.map((e, i) => ({
  id: `p${i}`,
  identity: `${TD}/w${i}`,
  workload: e.workload,
  proxyVersion: '0.1.0',
  subscriptions: [],
  acked: { mesh: 'v1' },
  rejected: i === 3 ? { 'api.shop:80': 'v2' } : {},
  lastNack: i === 3 ? { nonce: '7', detail: 'routes[0]: bad' } : undefined,
}));

function feedOver(round: { value: number; now: number }, calls: { n: number }) {
  return new DashboardFeed({
    mode: 'local',
    proxies: () => endpoints,
    streams: () => streams,
    gather: async (ps) => {
      calls.n++;
      const proxies: GatheredProxy[] = ps.map((p, i) => {
        const base = { namespace: p.namespace, workload: p.workload, service: p.service, at: round.now };
        // Proxy 999 cannot be scraped; its row says so and it adds nothing.
        if (i === PROXIES - 1) return { ...base, error: 'connect ECONNREFUSED' };
        const n = round.value * (1 + (i % 3));
        return {
          ...base,
          metrics: exposition({
            client: `${TD}/w${(i + 1) % 7}`,
            n,
            bad: round.value === 0 ? 0 : i % 3,
            denied: round.value === 0 ? 0 : i % 2,
            slowMs: 10,
            ...(i % 2 === 0 ? { backend: `b${i % 4}` } : {}),
            start: 1000,
          }),
        };
      });
      return { proxies };
    },
    ownMetrics: async () =>
      `weft_identity_certificates_issued_total ${round.value * 4}\nweft_control_plane_connected_proxies ${PROXIES}\n`,
    mesh: () => ({
      version: 1,
      trustDomain: 'cluster.local',
      tracingEndpoint: '',
      services: [],
      rejected: [],
    }),
    now: () => round.now,
  });
}

describe('DashboardFeed', () => {
  it('aggregates 1,000 proxies in one update: edges, rates, success, p99, backends, proxies', async () => {
    const round = { value: 0, now: 1_000_000 };
    const calls = { n: 0 };
    const feed = feedOver(round, calls);
    await feed.refresh();
    round.value = 100;
    round.now += 2000;
    const snap = await feed.refresh();
    feed.close();
    expect(calls.n).toBe(2);
    expect(snap.sequence).toBe(2);
    // Every service is a node; 100 proxies each, one (svc-9's w999) unreachable.
    expect(snap.workloads).toHaveLength(10);
    const svc9 = snap.workloads.find((w) => w.id === 'shop/svc-9');
    expect(svc9).toMatchObject({ proxies: 99, unreachable: 1 });
    // Expected edges computed independently from the same rule.
    const expected = new Map<string, { req: number; bad: number; denied: number }>();
    for (let i = 0; i < PROXIES - 1; i++) {
      const from = `shop/svc-${((i + 1) % 7) % 10}`;
      const key = `${from}->shop/svc-${i % 10}`;
      const e = expected.get(key) ?? { req: 0, bad: 0, denied: 0 };
      e.req += 100 * (1 + (i % 3));
      e.bad += i % 3;
      e.denied += i % 2;
      expected.set(key, e);
    }
    expect(snap.edges).toHaveLength(expected.size);
    for (const edge of snap.edges) {
      const e = expected.get(`${edge.from}->${edge.to}`);
      expect(e, `${edge.from}->${edge.to}`).toBeDefined();
      if (e === undefined) continue;
      expect(edge.rps).toBeCloseTo(e.req / 2, 6);
      expect(edge.successRate).toBeCloseTo((e.req - e.bad) / e.req, 9);
      expect(edge.forbiddenPerSecond).toBeCloseTo(e.denied / 2, 6);
      expect(edge.mtls).toBe(true);
      // Every request took between 5 and 10 ms: p99 interpolates inside that bucket.
      expect(edge.p99Ms).toBeGreaterThan(5);
      expect(edge.p99Ms).toBeLessThanOrEqual(10);
    }
    const b0 = snap.backends.find((b) => b.backend === 'b0');
    // Even i with i % 4 === 0: 250 proxies, 100 * (1 + i % 3) attempts each, over 2 s.
    let attempts = 0;
    let stops = 0;
    for (let i = 0; i < PROXIES - 1; i += 4) {
      attempts += 100 * (1 + (i % 3));
      stops += i % 3;
    }
    expect(b0?.attemptsPerSecond).toBeCloseTo(attempts / 2, 6);
    expect(b0?.retryStopsPerSecond['budget-exhausted']).toBeCloseTo(stops / 2, 6);
    expect(snap.proxies).toHaveLength(PROXIES);
    const p3 = snap.proxies.find((p) => p.id === 'p3');
    expect(p3).toMatchObject({
      lastNack: 'routes[0]: bad',
      certExpiry: 2_000_000_000_000,
      scrapeError: null,
    });
    expect(snap.proxies.find((p) => p.workload === 'w999')?.scrapeError).toBe('connect ECONNREFUSED');
    expect(snap.controlPlane.certifyPerSecond).toBeCloseTo(200, 6);
    expect(snap.controlPlane.connectedProxies).toBe(PROXIES);
  });

  it('shares one gather among every caller within an interval (no scrape per tab)', async () => {
    const round = { value: 1, now: 5_000_000 };
    const calls = { n: 0 };
    const feed = feedOver(round, calls);
    const tabs = await Promise.all(Array.from({ length: 50 }, () => feed.snapshot()));
    expect(calls.n).toBe(1);
    expect(new Set(tabs.map((t) => t.sequence))).toEqual(new Set([1]));
    round.now += 1000;
    await Promise.all(Array.from({ length: 50 }, () => feed.snapshot()));
    expect(calls.n).toBe(1);
    feed.close();
  });

  it('counts a restarted proxy from its next scrape instead of a negative rate', async () => {
    const round = { value: 50, now: 9_000_000 };
    const calls = { n: 0 };
    const feed = feedOver(round, calls);
    await feed.refresh();
    round.value = 0;
    round.now += 2000;
    const snap = await feed.refresh();
    feed.close();
    for (const e of snap.edges) expect(e.rps).toBeGreaterThanOrEqual(0);
    expect(snap.edges.every((e) => e.rps === 0)).toBe(true);
  });

  it('answers at once with the last snapshot while a slow refresh runs (a hung proxy delays no tab)', async () => {
    const clock = { now: 1_000 };
    let release: () => void = () => {};
    let gathers = 0;
    const feed = new DashboardFeed({
      mode: 'local',
      proxies: () => [],
      streams: () => [],
      gather: async () => {
        gathers++;
        if (gathers === 2) await new Promise<void>((resolve) => (release = resolve));
        return { proxies: [] };
      },
      ownMetrics: async () => '',
      mesh: () => ({
        version: 1,
        trustDomain: 'cluster.local',
        tracingEndpoint: '',
        services: [],
        rejected: [],
      }),
      now: () => clock.now,
    });
    const first = await feed.snapshot();
    clock.now += 5000;
    // Stale: a refresh starts (and hangs), but the caller gets the last snapshot now.
    expect(await feed.snapshot()).toBe(first);
    expect(gathers).toBe(2);
    expect(await feed.snapshot()).toBe(first);
    expect(gathers).toBe(2);
    release();
    feed.close();
  });
});
