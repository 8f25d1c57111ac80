import { describe, expect, it } from 'vitest';
import { isWeftError } from '../errors.js';
import { seededRandom } from '../random.js';
import { WeightedChoice } from './weighted-choice.js';

function counts<T>(choice: WeightedChoice<T>, n: number, seed = 1): Map<T | undefined, number> {
  const random = seededRandom(seed);
  const out = new Map<T | undefined, number>();
  for (let i = 0; i < n; i++) {
    const v = choice.pick(random);
    out.set(v, (out.get(v) ?? 0) + 1);
  }
  return out;
}

describe('WeightedChoice', () => {
  it('splits 90/10 within one point over 100,000 picks', () => {
    // Binomial sd at p=0.1, n=1e5 is ~0.095 points; one point is over 10 sd.
    const c = counts(
      new WeightedChoice([
        { value: 'v1', weight: 90 },
        { value: 'v2', weight: 10 },
      ]),
      100_000,
    );
    expect(Math.abs((c.get('v2') ?? 0) / 100_000 - 0.1)).toBeLessThan(0.01);
  });

  it('splits three ways in proportion, with fractional SMI weights', () => {
    const c = counts(
      new WeightedChoice([
        { value: 'a', weight: 0.5 },
        { value: 'b', weight: 0.3 },
        { value: 'c', weight: 0.2 },
      ]),
      100_000,
      9,
    );
    expect(Math.abs((c.get('a') ?? 0) / 1e5 - 0.5)).toBeLessThan(0.01);
    expect(Math.abs((c.get('b') ?? 0) / 1e5 - 0.3)).toBeLessThan(0.01);
    expect(Math.abs((c.get('c') ?? 0) / 1e5 - 0.2)).toBeLessThan(0.01);
  });

  it('never picks a weight-0 option, wherever it sits', () => {
    const c = counts(
      new WeightedChoice([
        { value: 'zero-first', weight: 0 },
        { value: 'a', weight: 1 },
        { value: 'zero-middle', weight: 0 },
        { value: 'b', weight: 1 },
        { value: 'zero-last', weight: 0 },
      ]),
      20_000,
    );
    expect([...c.keys()].sort()).toEqual(['a', 'b']);
  });

  it('picks nothing when every weight is 0', () => {
    const choice = new WeightedChoice([{ value: 'a', weight: 0 }]);
    expect(choice.total).toBe(0);
    expect(choice.pick(seededRandom(1))).toBeUndefined();
  });

  it('covers the edges of the random range', () => {
    const choice = new WeightedChoice([
      { value: 'a', weight: 1 },
      { value: 'b', weight: 1 },
    ]);
    expect(choice.pick({ next: () => 0 })).toBe('a');
    expect(choice.pick({ next: () => 0.4999999 })).toBe('a');
    expect(choice.pick({ next: () => 0.5 })).toBe('b');
    expect(choice.pick({ next: () => 0.9999999 })).toBe('b');
  });

  it('rejects negative and non-finite weights with the index', () => {
    for (const weight of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      try {
        new WeightedChoice([
          { value: 'a', weight: 1 },
          { value: 'b', weight },
        ]);
        expect.unreachable();
      } catch (err) {
        expect(isWeftError(err, 'INVALID_CONFIG')).toBe(true);
        expect((err as Error).message).toMatch(/^backends\[1\]\.weight/);
      }
    }
  });
});
