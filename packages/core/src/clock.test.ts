import { describe, expect, it } from 'vitest';
import { ManualClock } from './clock.js';
import { jitter, seededRandom } from './random.js';

describe('ManualClock', () => {
  it('fires timers in deadline order as time advances, and not before', () => {
    const clock = new ManualClock(1000);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('b'), 20);
    clock.setTimeout(() => fired.push('a'), 10);
    const c = clock.setTimeout(() => fired.push('c'), 15);
    c.cancel();
    clock.advance(9);
    expect(fired).toEqual([]);
    clock.advance(11);
    expect(fired).toEqual(['a', 'b']);
    expect(clock.now()).toBe(1020);
    expect(clock.monotonic()).toBe(20);
    expect(clock.pending).toBe(0);
  });

  it('fires timers scheduled by timers within the same advance', () => {
    const clock = new ManualClock();
    const at: number[] = [];
    clock.setTimeout(() => {
      at.push(clock.monotonic());
      clock.setTimeout(() => at.push(clock.monotonic()), 5);
    }, 5);
    clock.advance(10);
    expect(at).toEqual([5, 10]);
  });
});

describe('random', () => {
  it('seeded generators repeat and stay in [0, 1)', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const xs = Array.from({ length: 1000 }, () => a.next());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b.next()));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    // 1,000 uniform samples: the mean is 0.5 ± 0.05 with overwhelming probability (sd ≈ 0.009).
    expect(Math.abs(xs.reduce((s, x) => s + x, 0) / xs.length - 0.5)).toBeLessThan(0.05);
  });

  it('jitter stays within the fraction', () => {
    const r = seededRandom(1);
    for (let i = 0; i < 1000; i++) {
      const v = jitter(100, 0.1, r);
      expect(v).toBeGreaterThanOrEqual(90);
      expect(v).toBeLessThanOrEqual(110);
    }
  });
});
