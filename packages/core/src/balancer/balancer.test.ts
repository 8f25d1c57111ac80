import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { isWeftError } from '../errors.js';
import { OutlierDetector } from '../outlier/outlier-detector.js';
import { seededRandom } from '../random.js';
import { Balancer, type BalancerAlgorithm, type EndpointInput } from './balancer.js';

const ALGORITHMS: BalancerAlgorithm[] = ['PeakEWMA', 'RoundRobin', 'LeastRequest'];

function endpoints(...keys: string[]): EndpointInput<string>[] {
  return keys.map((key) => ({ key, value: key }));
}

function pickKey(b: Balancer<string>, exclude?: ReadonlySet<string>): string {
  const r = b.pick(exclude);
  if (r.type !== 'pick') throw new Error(r.message);
  return r.endpoint.key;
}

/** Picks and completes `n` requests at once (no concurrency), returning counts by key. */
function shares(b: Balancer<string>, n: number): Map<string, number> {
  const out = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const r = b.pick();
    if (r.type !== 'pick') throw new Error(r.message);
    b.start(r.endpoint).end('success');
    out.set(r.endpoint.key, (out.get(r.endpoint.key) ?? 0) + 1);
  }
  return out;
}

/**
 * Discrete-event load on a manual clock: one request every `intervalMs`, each finishing
 * after latencyOf(key) ms with resultOf(key). Returns requests per endpoint.
 */
function simulate(
  b: Balancer<string>,
  clock: ManualClock,
  opts: {
    requests: number;
    intervalMs: number;
    latencyOf: (k: string) => number;
    resultOf?: (k: string) => 'success' | 'failure';
  },
): Map<string, number> {
  const out = new Map<string, number>();
  for (let i = 0; i < opts.requests; i++) {
    const r = b.pick();
    if (r.type !== 'pick') throw new Error(r.message);
    const key = r.endpoint.key;
    out.set(key, (out.get(key) ?? 0) + 1);
    const attempt = b.start(r.endpoint);
    clock.setTimeout(() => attempt.end(opts.resultOf?.(key) ?? 'success'), opts.latencyOf(key));
    clock.advance(opts.intervalMs);
  }
  clock.advance(10_000);
  return out;
}

function make(
  algorithm: BalancerAlgorithm,
  seed = 1,
  extra: Partial<ConstructorParameters<typeof Balancer>[0]> = {},
) {
  const clock = new ManualClock();
  const balancer = new Balancer<string>({ algorithm, clock, random: seededRandom(seed), ...extra });
  return { clock, balancer };
}

describe('Balancer basics (every algorithm)', () => {
  for (const algorithm of ALGORITHMS) {
    it(`${algorithm}: fails precisely with no endpoints and spreads over all of them`, () => {
      const { balancer } = make(algorithm);
      expect(balancer.pick()).toMatchObject({ type: 'fail', reason: 'no-endpoints' });
      balancer.update(endpoints('a', 'b', 'c'));
      const c = shares(balancer, 3000);
      for (const k of ['a', 'b', 'c']) expect(c.get(k) ?? 0).toBeGreaterThan(800);
    });

    it(`${algorithm}: avoids excluded endpoints while another exists, and falls back when all are excluded`, () => {
      const { balancer } = make(algorithm);
      balancer.update(endpoints('a', 'b', 'c'));
      for (let i = 0; i < 500; i++) expect(pickKey(balancer, new Set(['a', 'b']))).toBe('c');
      expect(['a', 'b', 'c']).toContain(pickKey(balancer, new Set(['a', 'b', 'c'])));
    });

    it(`${algorithm}: never picks a weight-0 endpoint and respects 3:1 weights within 2 points`, () => {
      const { balancer } = make(algorithm, 5);
      balancer.update([
        { key: 'heavy', value: 'heavy', weight: 3 },
        { key: 'light', value: 'light', weight: 1 },
        { key: 'off', value: 'off', weight: 0 },
      ]);
      const c = shares(balancer, 20_000);
      expect(c.get('off')).toBeUndefined();
      // sd of the share at n=20,000 is ~0.3 points; 2 points is over 6 sd.
      expect(Math.abs((c.get('heavy') ?? 0) / 20_000 - 0.75)).toBeLessThan(0.02);
    });
  }

  it('round robin rotates strictly with equal weights', () => {
    const { balancer } = make('RoundRobin');
    balancer.update(endpoints('a', 'b', 'c'));
    const seq = Array.from({ length: 9 }, () => pickKey(balancer));
    expect(new Set(seq.slice(0, 3))).toEqual(new Set(['a', 'b', 'c']));
    expect(seq.slice(3, 6)).toEqual(seq.slice(0, 3));
    expect(seq.slice(6, 9)).toEqual(seq.slice(0, 3));
  });

  it('keeps the load of endpoints that stay across updates', () => {
    const { balancer } = make('RoundRobin');
    balancer.update(endpoints('a', 'b'));
    const first = balancer.pick();
    if (first.type !== 'pick') throw new Error('no pick');
    balancer.start(first.endpoint);
    balancer.update(endpoints('a', 'b', 'c'));
    const again = [...Array(200)]
      .map(() => balancer.pick())
      .find((r) => r.type === 'pick' && r.endpoint.key === first.endpoint.key);
    expect(again?.type === 'pick' && again.endpoint.load.inflight).toBe(1);
  });

  it('rejects a negative endpoint weight with its index', () => {
    const { balancer } = make('PeakEWMA');
    try {
      balancer.update([{ key: 'a', value: 'a', weight: -2 }]);
      expect.unreachable();
    } catch (err) {
      expect(isWeftError(err, 'INVALID_CONFIG')).toBe(true);
      expect((err as Error).message).toMatch(/^endpoints\[0\]\.weight/);
    }
  });
});

describe('Peak-EWMA P2C', () => {
  it('gives a backend 50 ms slower than two others at most 10% of requests', () => {
    const { balancer, clock } = make('PeakEWMA', 3);
    balancer.update(endpoints('fast-1', 'fast-2', 'slow'));
    // 5,000 requests, one per ms, 5 ms vs 55 ms latency: about 5-10 in flight.
    const c = simulate(balancer, clock, {
      requests: 5000,
      intervalMs: 1,
      latencyOf: (k) => (k === 'slow' ? 55 : 5),
    });
    expect((c.get('slow') ?? 0) / 5000).toBeLessThanOrEqual(0.1);
    expect(c.get('fast-1')).toBeGreaterThan(2000);
  });

  it('counts failures as slow, so a fast-failing endpoint does not attract traffic', () => {
    const { balancer, clock } = make('PeakEWMA', 4);
    balancer.update(endpoints('ok-1', 'ok-2', 'failing'));
    const c = simulate(balancer, clock, {
      requests: 5000,
      intervalMs: 1,
      latencyOf: (k) => (k === 'failing' ? 0 : 20),
      resultOf: (k) => (k === 'failing' ? 'failure' : 'success'),
    });
    expect((c.get('failing') ?? 0) / 5000).toBeLessThan(0.05);
  });

  it('probes an endpoint starved by its failures, at most once per interval, until it is ejected', () => {
    const clock = new ManualClock();
    const detector = new OutlierDetector(
      { consecutiveFailures: 5, baseEjectionTimeMs: 30_000, maxEjectionPercent: 50 },
      clock,
    );
    const balancer = new Balancer<string>({
      algorithm: 'PeakEWMA',
      clock,
      random: seededRandom(8),
      outlierDetector: detector,
    });
    balancer.update(endpoints('a', 'b', 'dead'));
    let deadAttempts = 0;
    let ejectedAt: number | undefined;
    // 1,000 requests/s; 'dead' refuses connections at once (the SIGKILL case).
    for (let ms = 0; ms < 5000; ms++) {
      const r = balancer.pick();
      if (r.type !== 'pick') throw new Error(r.message);
      const attempt = balancer.start(r.endpoint);
      if (r.endpoint.key === 'dead') {
        deadAttempts++;
        attempt.end('failure');
        if (detector.isEjected('dead') && ejectedAt === undefined) ejectedAt = clock.monotonic();
      } else {
        clock.setTimeout(() => attempt.end('success'), 2);
      }
      clock.advance(1);
    }
    expect(ejectedAt).toBeDefined();
    expect(ejectedAt as number).toBeLessThan(1500);
    expect(deadAttempts).toBeLessThan(15);
  });

  it('least request sends less to the endpoint with the longest queue', () => {
    const { balancer, clock } = make('LeastRequest', 6);
    balancer.update(endpoints('a', 'b', 'slow'));
    const c = simulate(balancer, clock, {
      requests: 5000,
      intervalMs: 1,
      latencyOf: (k) => (k === 'slow' ? 200 : 5),
    });
    expect((c.get('slow') ?? 0) / 5000).toBeLessThan(0.2);
  });
});

describe('slow start', () => {
  it('starts a new endpoint at 10% weight and ramps it to full over the window', () => {
    const { balancer, clock } = make('RoundRobin', 1, { slowStart: { windowMs: 10_000 } });
    balancer.update(endpoints('a', 'b'));
    clock.advance(1000);
    balancer.update(endpoints('a', 'b', 'new'));
    const early = shares(balancer, 2100);
    // weights 1 : 1 : 0.1 -> 100 of 2,100 (low-discrepancy, so within a few).
    expect(Math.abs((early.get('new') ?? 0) - 100)).toBeLessThanOrEqual(5);
    clock.advance(5000);
    const middle = (shares(balancer, 3000).get('new') ?? 0) / 3000;
    expect(middle).toBeGreaterThan(0.15);
    expect(middle).toBeLessThan(0.3);
    clock.advance(5000);
    expect(Math.abs((shares(balancer, 3000).get('new') ?? 0) - 1000)).toBeLessThanOrEqual(5);
  });

  it('does not warm up the first endpoint set', () => {
    const { balancer } = make('RoundRobin', 1, { slowStart: { windowMs: 10_000 } });
    balancer.update(endpoints('a', 'b', 'c'));
    expect(shares(balancer, 300).get('c')).toBe(100);
  });
});

describe('outlier detection in the balancer', () => {
  function setup(maxEjectionPercent = 50) {
    const clock = new ManualClock();
    const detector = new OutlierDetector(
      { consecutiveFailures: 5, baseEjectionTimeMs: 30_000, maxEjectionPercent },
      clock,
    );
    const balancer = new Balancer<string>({
      algorithm: 'RoundRobin',
      clock,
      random: seededRandom(2),
      outlierDetector: detector,
      probeIntervalMs: 0, // exact shares below; probes have their own test
    });
    return { clock, detector, balancer };
  }

  function fail(b: Balancer<string>, key: string, times: number): void {
    for (let i = 0; i < times; i++) {
      const endpoint = [...Array(50)]
        .map(() => b.pick())
        .find((r) => r.type === 'pick' && r.endpoint.key === key);
      if (endpoint?.type !== 'pick') throw new Error(`${key} not picked`);
      b.start(endpoint.endpoint).end('failure');
    }
  }

  it('ejects after consecutive failures, for base, then twice base after a failed probe', () => {
    const { clock, balancer } = setup();
    balancer.update(endpoints('a', 'b', 'bad'));
    fail(balancer, 'bad', 5);
    expect(shares(balancer, 300).get('bad')).toBeUndefined();
    clock.advance(30_000);
    fail(balancer, 'bad', 1); // back in rotation; the first (probe) request fails: ejected for 60 s
    clock.advance(59_000);
    expect(shares(balancer, 300).get('bad')).toBeUndefined();
    clock.advance(1000);
    expect(shares(balancer, 300).get('bad')).toBe(100); // back; successes reset the backoff
    fail(balancer, 'bad', 4);
    expect(shares(balancer, 3).get('bad')).toBe(1); // 4 < 5 consecutive: still in
  });

  it('never ejects more than the maximum percentage', () => {
    const { balancer, detector } = setup(50);
    balancer.update(endpoints('a', 'b', 'c'));
    fail(balancer, 'a', 5);
    fail(balancer, 'b', 5);
    expect(detector.ejectedCount()).toBe(1);
    expect(detector.ejectionsSkipped).toBe(1);
    expect(new Set(shares(balancer, 300).keys()).size).toBe(2);
  });

  it('fails fast with all-ejected when the only endpoint is ejected', () => {
    const { clock, balancer } = setup(100);
    balancer.update(endpoints('only'));
    fail(balancer, 'only', 5);
    expect(balancer.pick()).toMatchObject({
      type: 'fail',
      reason: 'all-ejected',
      message: 'all 1 endpoints are ejected',
    });
    clock.advance(30_000);
    expect(balancer.pick().type).toBe('pick');
  });
});
