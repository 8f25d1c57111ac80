import { ManualClock } from '@weft/core';
import { describe, expect, it } from 'vitest';
import { KeyedRateLimiter } from './rate-limiter.js';

describe('KeyedRateLimiter', () => {
  it('allows a burst per key, then refills at the configured rate', () => {
    const clock = new ManualClock();
    const limiter = new KeyedRateLimiter({ burst: 2, perMinute: 60 }, clock);
    expect([limiter.tryAcquire('a'), limiter.tryAcquire('a'), limiter.tryAcquire('a')]).toEqual([
      true,
      true,
      false,
    ]);
    expect(limiter.tryAcquire('b')).toBe(true);
    clock.advance(999);
    expect(limiter.tryAcquire('a')).toBe(false);
    clock.advance(1);
    expect(limiter.tryAcquire('a')).toBe(true);
    expect(limiter.tryAcquire('a')).toBe(false);
  });

  it('forgets the least recently used keys beyond maxKeys', () => {
    const clock = new ManualClock();
    const limiter = new KeyedRateLimiter({ burst: 1, perMinute: 1, maxKeys: 2 }, clock);
    limiter.tryAcquire('a');
    limiter.tryAcquire('b');
    limiter.tryAcquire('c');
    // 'a' was dropped, so it starts again with a full bucket.
    expect(limiter.tryAcquire('a')).toBe(true);
    expect(limiter.tryAcquire('c')).toBe(false);
  });

  it('rejects nonsense limits', () => {
    expect(() => new KeyedRateLimiter({ burst: 0, perMinute: 1 }, new ManualClock())).toThrow(RangeError);
  });
});
