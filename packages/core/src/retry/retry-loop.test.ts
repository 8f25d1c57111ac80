import { describe, expect, it } from 'vitest';
import { Balancer } from '../balancer/balancer.js';
import type { BalancedEndpoint } from '../balancer/picker.js';
import { ManualClock } from '../clock.js';
import { OutlierDetector } from '../outlier/outlier-detector.js';
import { seededRandom } from '../random.js';
import { RetryBudget } from './retry-budget.js';
import { type RetryLoopOptions, runWithRetries, type SentAttempt } from './retry-loop.js';
import { type AttemptOutcome, compileRetryPolicy } from './retry-policy.js';

type Behaviour = (
  key: string,
  attempt: number,
) => { outcome: AttemptOutcome; sent: boolean; latencyMs: number };

/** A proxy in miniature: sequential requests on a manual clock against simulated endpoints. */
function harness(opts: {
  maxEjectionPercent?: number;
  on: string[];
  attempts?: number;
  keys?: string[];
  seed?: number;
  algorithm?: 'PeakEWMA' | 'RoundRobin';
}) {
  const clock = new ManualClock();
  const random = seededRandom(opts.seed ?? 1);
  const detector = new OutlierDetector(
    { consecutiveFailures: 5, baseEjectionTimeMs: 30_000, maxEjectionPercent: opts.maxEjectionPercent ?? 50 },
    clock,
  );
  const balancer = new Balancer<string>({
    algorithm: opts.algorithm ?? 'PeakEWMA',
    clock,
    random,
    outlierDetector: detector,
  });
  balancer.update((opts.keys ?? ['a', 'b', 'c']).map((key) => ({ key, value: key })));
  const policy = compileRetryPolicy({
    attempts: opts.attempts ?? 3,
    on: opts.on,
    backoff: { baseMs: 25, maxMs: 250 },
    budget: { ratio: 0.2, minPerSecond: 10, ttlMs: 10_000 },
    nonIdempotent: false,
  });
  const budget = new RetryBudget(policy.budget, clock);
  let upstream = 0;
  const discarded: string[] = [];
  async function request(
    method: string,
    behaviour: Behaviour,
    body = { bytes: 0, replayable: true },
    deadlineMs?: number,
  ) {
    const o: RetryLoopOptions<string, string> = {
      balancer,
      policy,
      budget,
      clock,
      random,
      method,
      ...(deadlineMs === undefined ? {} : { requestDeadline: clock.monotonic() + deadlineMs }),
      body: () => body,
      send: async (endpoint: BalancedEndpoint<string>, attempt): Promise<SentAttempt<string>> => {
        upstream++;
        const b = behaviour(endpoint.key, attempt);
        clock.advance(b.latencyMs);
        return { outcome: b.outcome, sent: b.sent, value: `${endpoint.key}#${attempt}` };
      },
      discard: (v) => discarded.push(v),
      sleep: async (ms) => clock.advance(ms),
    };
    return runWithRetries(o);
  }
  return { clock, detector, budget, request, upstream: () => upstream, discarded };
}

const ok = { outcome: { type: 'response', status: 200 } as AttemptOutcome, sent: true, latencyMs: 1 };
const refused = { outcome: { type: 'connect-failure' } as AttemptOutcome, sent: false, latencyMs: 0 };

describe('runWithRetries', () => {
  it('one of three endpoints killed under load: >= 99.9% succeed and it is ejected within 5 s', async () => {
    const h = harness({ on: ['connect-failure', 'refused-stream', 'reset', 'gateway-error'] });
    let killedAt = -1;
    let okCount = 0;
    let ejectedAfter: number | undefined;
    for (let i = 0; i < 10_000; i++) {
      if (i === 2000) killedAt = h.clock.monotonic();
      const dead = killedAt >= 0;
      const r = await h.request('GET', (key) => (dead && key === 'c' ? refused : ok));
      if (r.type === 'response' && r.last.outcome.type === 'response' && r.last.outcome.status === 200)
        okCount++;
      if (dead && ejectedAfter === undefined && h.detector.isEjected('c'))
        ejectedAfter = h.clock.monotonic() - killedAt;
    }
    expect(okCount / 10_000).toBeGreaterThanOrEqual(0.999);
    expect(ejectedAfter).toBeDefined();
    expect(ejectedAfter as number).toBeLessThan(5000);
  });

  for (const algorithm of ['PeakEWMA', 'RoundRobin'] as const) {
    it(`${algorithm}: two of three endpoints answering 50% 5xx: upstream attempts stay within 1.2x requests plus the floor`, async () => {
      const h = harness({ on: ['5xx'], seed: 5, algorithm });
      const flip = seededRandom(99);
      let okCount = 0;
      const requests = 10_000;
      const start = h.clock.monotonic();
      for (let i = 0; i < requests; i++) {
        const r = await h.request('GET', (key) =>
          key !== 'a' && flip.next() < 0.5
            ? { outcome: { type: 'response', status: 503 }, sent: true, latencyMs: 1 }
            : ok,
        );
        if (r.type === 'response' && r.last.outcome.type === 'response' && r.last.outcome.status === 200)
          okCount++;
      }
      const seconds = (h.clock.monotonic() - start) / 1000;
      const floor = 10 * (seconds + 10);
      expect(h.upstream()).toBeLessThanOrEqual(1.2 * requests + floor);
      // Without retries, ~1/3 would fail under round robin; retries within the budget recover most.
      expect(okCount / requests).toBeGreaterThan(0.8);
      if (algorithm === 'RoundRobin') expect(h.budget.exhausted).toBeGreaterThan(0);
      else expect(okCount / requests).toBeGreaterThan(0.99); // failures count as slow: P2C avoids them
    });
  }

  it('retries a POST after a connect failure but not after it was sent', async () => {
    const h = harness({ on: ['connect-failure', 'gateway-error'] });
    const afterRefused = await h.request('POST', (_key, attempt) => (attempt === 1 ? refused : ok));
    expect(afterRefused).toMatchObject({ type: 'response', attempts: 2, stop: 'success' });
    const sent503 = await h.request('POST', () => ({
      outcome: { type: 'response', status: 503 },
      sent: true,
      latencyMs: 1,
    }));
    expect(sent503).toMatchObject({ type: 'response', attempts: 1, stop: 'non-idempotent' });
    const get503 = await h.request('GET', (_key, attempt) =>
      attempt === 1 ? { outcome: { type: 'response', status: 503 }, sent: true, latencyMs: 1 } : ok,
    );
    expect(get503).toMatchObject({ type: 'response', attempts: 2, stop: 'success' });
    expect(h.discarded).toHaveLength(2);
  });

  it('sends a 100 KiB body once, even after a connect failure', async () => {
    const h = harness({ on: ['connect-failure'] });
    const r = await h.request('PUT', () => refused, { bytes: 100 * 1024, replayable: false });
    expect(r).toMatchObject({ type: 'response', attempts: 1, stop: 'body-too-large' });
  });

  it('tries a different endpoint on each attempt', async () => {
    const h = harness({ on: ['5xx'], attempts: 3 });
    const seen: string[] = [];
    await h.request('GET', (key) => {
      seen.push(key);
      return { outcome: { type: 'response', status: 500 }, sent: true, latencyMs: 1 };
    });
    expect(new Set(seen).size).toBe(3);
  });

  it('stops at the request deadline and names it', async () => {
    const h = harness({ on: ['5xx'], attempts: 5 });
    const r = await h.request(
      'GET',
      () => ({ outcome: { type: 'response', status: 500 }, sent: true, latencyMs: 40 }),
      undefined,
      50,
    );
    expect(r.type === 'response' && r.stop).toBe('deadline');
  });

  it('lets a streaming protocol judge an attempt at its response head, withdrawing budget once', async () => {
    const clock = new ManualClock();
    const balancer = new Balancer<string>({ algorithm: 'RoundRobin', clock, random: seededRandom(1) });
    balancer.update([
      { key: 'a', value: 'a' },
      { key: 'b', value: 'b' },
    ]);
    const policy = compileRetryPolicy({
      attempts: 3,
      on: ['5xx'],
      backoff: { baseMs: 25, maxMs: 250 },
      budget: { ratio: 0, minPerSecond: 1, ttlMs: 1000 },
      nonIdempotent: false,
    });
    const budget = new RetryBudget(policy.budget, clock);
    const judged: string[] = [];
    const r = await runWithRetries<string, string>({
      balancer,
      policy,
      budget,
      clock,
      random: seededRandom(2),
      method: 'GET',
      body: () => ({ bytes: 0, replayable: true }),
      send: async (_e, attempt, _timer, judge) => {
        const outcome: AttemptOutcome = { type: 'response', status: 503 };
        const first = judge(outcome, true);
        expect(judge(outcome, true)).toBe(first); // decided once
        judged.push(first.type === 'retry' ? 'retry' : first.reason);
        return { outcome, sent: true, value: `#${attempt}` };
      },
      discard: () => {},
      sleep: async (ms) => clock.advance(ms),
    });
    // The floor allows one retry in the window; the second 503 is final.
    expect(judged).toEqual(['retry', 'budget-exhausted']);
    expect(r).toMatchObject({ type: 'response', attempts: 2, stop: 'budget-exhausted' });
  });

  it('fails fast when every endpoint is ejected', async () => {
    const h = harness({ on: [], attempts: 1, keys: ['only'], maxEjectionPercent: 100 });
    for (let i = 0; i < 5; i++) await h.request('GET', () => refused);
    expect(await h.request('GET', () => ok)).toMatchObject({
      type: 'unavailable',
      reason: 'all-ejected',
      attempts: 0,
    });
  });
});
