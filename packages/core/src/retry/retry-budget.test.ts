import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { seededRandom } from '../random.js';
import { backoffDelayMs } from './backoff.js';
import { ReplayBuffer } from './replay-buffer.js';
import { RetryBudget } from './retry-budget.js';
import { attemptTimer, timeoutMessage } from './timeouts.js';

describe('RetryBudget', () => {
  it('allows the floor (minPerSecond x ttl) with no traffic, then refuses', () => {
    const clock = new ManualClock();
    const budget = new RetryBudget({ ratio: 0.2, minPerSecond: 10, ttlMs: 10_000 }, clock);
    let granted = 0;
    for (let i = 0; i < 1000; i++) if (budget.tryWithdraw()) granted++;
    expect(granted).toBe(100);
    expect(budget.exhausted).toBe(900);
  });

  it('caps retries at ratio x requests + floor when every request fails, over a long run', () => {
    const clock = new ManualClock();
    const budget = new RetryBudget({ ratio: 0.2, minPerSecond: 10, ttlMs: 10_000 }, clock);
    let requests = 0;
    let retries = 0;
    // 60 s at 1,000 requests/s, every attempt failing, up to 2 retries each.
    for (let ms = 0; ms < 60_000; ms++) {
      budget.deposit();
      requests++;
      for (let r = 0; r < 2 && budget.tryWithdraw(); r++) retries++;
      clock.advance(1);
    }
    // Ratio retries stay within 0.2 x requests; the floor adds at most 10/s x (60 s + ttl).
    expect(retries).toBeLessThanOrEqual(0.2 * requests + 10 * 70);
    expect(retries).toBeGreaterThan(0.19 * requests);
  });

  it('refills the floor at minPerSecond, up to minPerSecond x ttl', () => {
    const clock = new ManualClock();
    const budget = new RetryBudget({ ratio: 0, minPerSecond: 10, ttlMs: 10_000 }, clock);
    while (budget.tryWithdraw());
    clock.advance(1000);
    let granted = 0;
    while (budget.tryWithdraw()) granted++;
    expect(granted).toBe(10);
    clock.advance(60_000);
    granted = 0;
    while (budget.tryWithdraw()) granted++;
    expect(granted).toBe(100);
  });

  it('forgets requests older than the window', () => {
    const clock = new ManualClock();
    const budget = new RetryBudget({ ratio: 1, minPerSecond: 0, ttlMs: 1000 }, clock);
    for (let i = 0; i < 50; i++) budget.deposit();
    clock.advance(1100);
    expect(budget.tryWithdraw()).toBe(false);
    budget.deposit();
    expect(budget.tryWithdraw()).toBe(true);
  });

  it('rejects a window outside 1-60 s', () => {
    expect(() => new RetryBudget({ ratio: 0.2, minPerSecond: 10, ttlMs: 100 }, new ManualClock())).toThrow(
      /retry\.budget\.ttl/,
    );
  });
});

describe('backoffDelayMs', () => {
  it('full jitter: within [0, min(max, base * 2^failures)], growing exponentially, never over max', () => {
    const random = seededRandom(3);
    for (let failures = 0; failures <= 12; failures++) {
      const ceiling = Math.min(250, 25 * 2 ** failures);
      const delays = Array.from({ length: 200 }, () =>
        backoffDelayMs({ baseMs: 25, maxMs: 250 }, failures, random),
      );
      for (const d of delays) {
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(ceiling);
      }
      // Full, not equal, jitter: the lower half of the range is used too.
      expect(delays.some((d) => d < ceiling / 2)).toBe(true);
    }
  });

  it('jitters: 1,000 delays are spread over the range, mean near half the ceiling', () => {
    const random = seededRandom(4);
    const delays = Array.from({ length: 1000 }, () =>
      backoffDelayMs({ baseMs: 100, maxMs: 1000 }, 0, random),
    );
    const mean = delays.reduce((a, b) => a + b, 0) / delays.length;
    // sd of one delay is ~28.9; of the mean of 1,000 ~0.91: a margin of 6 is over 6 sd.
    expect(Math.abs(mean - 50)).toBeLessThan(6);
    expect(new Set(delays.map((d) => Math.floor(d / 10))).size).toBe(10);
  });

  it('treats a negative or huge failure count as 0 or as the cap', () => {
    const one = { next: () => 0.999_999 };
    expect(backoffDelayMs({ baseMs: 100, maxMs: 1000 }, -3, one)).toBeLessThan(100);
    expect(backoffDelayMs({ baseMs: 100, maxMs: 1000 }, 10_000, one)).toBeCloseTo(1000, 0);
  });
});

describe('ReplayBuffer', () => {
  it('holds bodies up to 64 KiB and gives up for good beyond', () => {
    const b = new ReplayBuffer();
    expect(b.push(new Uint8Array(64 * 1024))).toBe(true);
    expect(b.body).toHaveLength(1);
    expect(b.push(new Uint8Array(1))).toBe(false);
    expect(b.replayable).toBe(false);
    expect(b.body).toHaveLength(0);
    expect(b.push(new Uint8Array(1))).toBe(false);
    expect(b.bytes).toBe(64 * 1024 + 2);
  });
});

describe('attemptTimer', () => {
  it('arms the binding timeout and names it', () => {
    expect(attemptTimer({ now: 0 })).toEqual({ type: 'none' });
    expect(attemptTimer({ now: 0, perTryMs: 100 })).toEqual({ type: 'timer', ms: 100, kind: 'per-try' });
    expect(attemptTimer({ now: 0, perTryMs: 100, requestDeadline: 50 })).toEqual({
      type: 'timer',
      ms: 50,
      kind: 'request',
    });
    expect(attemptTimer({ now: 900, perTryMs: 100, requestDeadline: 1500 })).toEqual({
      type: 'timer',
      ms: 100,
      kind: 'per-try',
    });
    expect(attemptTimer({ now: 1500, requestDeadline: 1500 })).toEqual({ type: 'expired' });
    expect(timeoutMessage('per-try', 100)).toMatch(/per-try timeout of 100 ms/);
    expect(timeoutMessage('request', 2000)).toMatch(/request timeout of 2000 ms/);
  });
});
