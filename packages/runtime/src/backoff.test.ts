// The stateful backoff: full-jitter delays that grow per failure, reset, and one pending retry.
import { ManualClock, seededRandom } from '@weft/core';
import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.js';

describe('Backoff', () => {
  it('gives delays in [0, min(max, base * 2^failures)] and counts failures', () => {
    const backoff = new Backoff({ baseMs: 100, maxMs: 5000, random: seededRandom(1) });
    for (let run = 0; run < 50; run++) {
      backoff.reset();
      for (let failures = 0; failures < 10; failures++) {
        expect(backoff.failures).toBe(failures);
        const delay = backoff.next();
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThanOrEqual(Math.min(5000, 100 * 2 ** failures));
      }
    }
  });

  it('starts over at base after reset', () => {
    const top = { next: () => 0.999 };
    const backoff = new Backoff({ baseMs: 100, maxMs: 5000, random: top });
    const grown = [backoff.next(), backoff.next(), backoff.next(), backoff.next()].map(Math.round);
    expect(grown).toEqual([100, 200, 400, 799]);
    backoff.reset();
    expect(backoff.failures).toBe(0);
    expect(Math.round(backoff.next())).toBe(100);
  });

  it('retry() runs the action once after the delay, replacing a pending one; cancel() stops it', () => {
    const clock = new ManualClock();
    const backoff = new Backoff({ baseMs: 100, maxMs: 1000, clock, random: { next: () => 0.5 } });
    const ran: string[] = [];
    expect(backoff.retry(() => ran.push('first'))).toBe(50);
    expect(backoff.retry(() => ran.push('second'))).toBe(100);
    expect(backoff.pending).toBe(true);
    clock.advance(99);
    expect(ran).toEqual([]);
    clock.advance(1);
    expect(ran).toEqual(['second']);
    expect(backoff.pending).toBe(false);
    backoff.retry(() => ran.push('third'));
    backoff.cancel();
    clock.advance(10_000);
    expect(ran).toEqual(['second']);
    expect(clock.pending).toBe(0);
  });

  it('retryAfter() waits the given time without counting a failure', () => {
    const clock = new ManualClock();
    const backoff = new Backoff({ baseMs: 100, maxMs: 1000, clock, random: seededRandom(2) });
    let ran = 0;
    backoff.retryAfter(3000, () => ran++);
    expect(backoff.failures).toBe(0);
    clock.advance(2999);
    expect(ran).toBe(0);
    clock.advance(1);
    expect(ran).toBe(1);
  });

  it('rejects a base above max or a negative base', () => {
    expect(() => new Backoff({ baseMs: 500, maxMs: 100 })).toThrow(/0 <= baseMs <= maxMs/);
    expect(() => new Backoff({ baseMs: -1, maxMs: 100 })).toThrow(/0 <= baseMs <= maxMs/);
    expect(() => new Backoff({ baseMs: Number.NaN, maxMs: 100 })).toThrow(/0 <= baseMs <= maxMs/);
  });
});
