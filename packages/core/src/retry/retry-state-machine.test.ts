/** RetryLoop as the proxy drives it: callbacks only, backoff on the injected clock, stale keep-alive resends. */
import { describe, expect, it } from 'vitest';
import { Balancer } from '../balancer/balancer.js';
import { ManualClock } from '../clock.js';
import { seededRandom } from '../random.js';
import { RetryBudget } from './retry-budget.js';
import { type RetryHost, RetryLoop, type RetryResult } from './retry-loop.js';
import { type AttemptOutcome, compileRetryPolicy } from './retry-policy.js';
import type { AttemptTimer } from './timeouts.js';

const RESET: AttemptOutcome = { type: 'reset' };

function setup(opts: { on?: string[]; attempts?: number; method?: string; bodyBytes?: number } = {}) {
  const clock = new ManualClock();
  const random = seededRandom(5);
  const balancer = new Balancer<string>({ algorithm: 'RoundRobin', clock, random });
  balancer.update(['a', 'b', 'c'].map((key) => ({ key, value: key })));
  const policy = compileRetryPolicy({
    attempts: opts.attempts ?? 3,
    on: opts.on ?? ['5xx'],
    backoff: { baseMs: 10, maxMs: 10 },
    budget: { ratio: 1, minPerSecond: 100, ttlMs: 10_000 },
    nonIdempotent: false,
  });
  const sends: { endpoint: string; attempt: number; fresh: boolean; timer: AttemptTimer }[] = [];
  const results: RetryResult[] = [];
  let staleResends = 0;
  const host: RetryHost<string> = {
    bodyBytes: opts.bodyBytes ?? 0,
    bodyReplayable: true,
    sendAttempt: (endpoint, attempt, timer, fresh) => sends.push({ endpoint, attempt, fresh, timer }),
    retryDone: (r) => results.push(r),
    staleResent: () => staleResends++,
  };
  const loop = new RetryLoop(
    { balancer, policy, budget: new RetryBudget(policy.budget, clock), clock, random },
    host,
    opts.method ?? 'GET',
  );
  return { clock, loop, sends, results, stale: () => staleResends };
}

describe('RetryLoop', () => {
  it('relays a response judged final at its head, and ends once', () => {
    const h = setup();
    h.loop.start();
    expect(h.sends).toHaveLength(1);
    const ok: AttemptOutcome = { type: 'response', status: 200 };
    expect(h.loop.decide(ok, true)).toEqual({ type: 'stop', reason: 'success' });
    h.loop.settle(ok, true);
    h.loop.settle(ok, true);
    expect(h.results).toEqual([{ type: 'response', outcome: ok, sent: true, attempts: 1, stop: 'success' }]);
  });

  it('retries a 503 on another endpoint after the backoff, on the clock', () => {
    const h = setup();
    h.loop.start();
    const down: AttemptOutcome = { type: 'response', status: 503 };
    expect(h.loop.decide(down, true).type).toBe('retry');
    h.loop.settle(down, true);
    expect(h.sends).toHaveLength(1);
    h.clock.advance(10);
    expect(h.sends).toHaveLength(2);
    expect(h.sends[1]?.attempt).toBe(2);
    expect(h.sends[1]?.endpoint).not.toBe(h.sends[0]?.endpoint);
  });

  it('resends once on a fresh connection after a stale keep-alive connection, without a retry', () => {
    const h = setup({ on: [], attempts: 1 });
    h.loop.start();
    h.loop.settle(RESET, true, true);
    expect(h.sends.map((s) => [s.endpoint, s.attempt, s.fresh])).toEqual([
      [h.sends[0]?.endpoint, 1, false],
      [h.sends[0]?.endpoint, 1, true],
    ]);
    expect(h.stale()).toBe(1);
    // A second stale failure is an ordinary reset: not retried under this policy.
    h.loop.settle(RESET, true, true);
    expect(h.sends).toHaveLength(2);
    expect(h.results).toEqual([
      { type: 'response', outcome: RESET, sent: true, attempts: 1, stop: 'not-retryable' },
    ]);
  });

  it('does not resend a non-idempotent request that sent body bytes', () => {
    const h = setup({ on: [], attempts: 1, method: 'POST', bodyBytes: 12 });
    h.loop.start();
    h.loop.settle(RESET, true, true);
    expect(h.sends).toHaveLength(1);
    expect(h.stale()).toBe(0);
    expect(h.results[0]?.type).toBe('response');
  });

  it('resends with a fixed upstream and no balancer or budget', () => {
    const clock = new ManualClock();
    const sends: boolean[] = [];
    const results: RetryResult[] = [];
    const loop = new RetryLoop(
      {
        fixed: 'app',
        policy: compileRetryPolicy({
          attempts: 1,
          on: [],
          backoff: { baseMs: 10, maxMs: 10 },
          budget: { ratio: 0, minPerSecond: 0, ttlMs: 10_000 },
          nonIdempotent: false,
        }),
        clock,
        random: seededRandom(1),
      },
      {
        bodyBytes: 0,
        bodyReplayable: true,
        sendAttempt: (endpoint, _a, _t, fresh) => {
          expect(endpoint).toBe('app');
          sends.push(fresh);
        },
        retryDone: (r) => results.push(r),
      },
      'GET',
    );
    loop.start();
    loop.settle(RESET, true, true);
    loop.settle({ type: 'response', status: 200 }, true);
    expect(sends).toEqual([false, true]);
    expect(results[0]).toMatchObject({ type: 'response', stop: 'attempts-exhausted' });
  });

  it('ends as aborted when the client leaves during a backoff; no further attempt', () => {
    const h = setup();
    h.loop.start();
    h.loop.settle({ type: 'response', status: 503 }, true);
    h.loop.abort();
    h.clock.advance(100);
    expect(h.sends).toHaveLength(1);
    expect(h.results).toEqual([{ type: 'aborted', attempts: 1 }]);
  });

  it('ignores an abort while a final response is being relayed', () => {
    const h = setup();
    h.loop.start();
    const ok: AttemptOutcome = { type: 'response', status: 200 };
    h.loop.decide(ok, true);
    h.loop.abort();
    h.loop.settle(ok, true);
    expect(h.results).toEqual([{ type: 'response', outcome: ok, sent: true, attempts: 1, stop: 'success' }]);
  });

  it('refuses a loop of several attempts without a budget', () => {
    const clock = new ManualClock();
    const policy = compileRetryPolicy({
      attempts: 2,
      on: ['5xx'],
      backoff: { baseMs: 10, maxMs: 10 },
      budget: { ratio: 0, minPerSecond: 0, ttlMs: 10_000 },
      nonIdempotent: false,
    });
    const host: RetryHost<string> = {
      bodyBytes: 0,
      bodyReplayable: true,
      sendAttempt: () => {},
      retryDone: () => {},
    };
    expect(
      () => new RetryLoop({ fixed: 'app', policy, clock, random: seededRandom(1) }, host, 'GET'),
    ).toThrow(/needs a retry budget/);
  });
});
