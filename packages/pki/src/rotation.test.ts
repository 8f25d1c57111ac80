import { seededRandom } from '@weft/core';
import { describe, expect, it } from 'vitest';
import { rotationDelayMs } from './rotation.js';

const fixed = (v: number) => ({ next: () => v });

describe('rotationDelayMs', () => {
  it('renews at half the lifetime, spread ±10 points', () => {
    const base = { notBefore: 0, notAfter: 1000_000, now: 0 };
    expect(rotationDelayMs({ ...base, random: fixed(0.5) })).toBe(500_000);
    expect(rotationDelayMs({ ...base, random: fixed(0) })).toBe(400_000);
    expect(rotationDelayMs({ ...base, random: fixed(0.999999) })).toBe(600_000);
    const random = seededRandom(7);
    for (let i = 0; i < 100; i++) {
      const d = rotationDelayMs({ ...base, random });
      expect(d).toBeGreaterThanOrEqual(400_000);
      expect(d).toBeLessThanOrEqual(600_000);
    }
  });

  it('ignores notBefore backdating', () => {
    expect(rotationDelayMs({ notBefore: -20_000, notAfter: 10_000, now: 0, random: fixed(0.5) })).toBe(5000);
  });

  it('is never negative', () => {
    expect(rotationDelayMs({ notBefore: 0, notAfter: 10, now: 50, random: fixed(0.5) })).toBe(0);
  });
});
