/** Injected randomness, so that jitter, sampling and balancing are reproducible in tests. */

/** A source of uniform random numbers in [0, 1). */
export interface Random {
  next(): number;
}

/** Math.random, for production. Not for secrets: use node:crypto for those. */
export const systemRandom: Random = { next: () => Math.random() };

/** A small deterministic generator (mulberry32) for tests and simulations. */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return {
    next() {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

/** Returns `value` scaled by a uniform factor in [1 - fraction, 1 + fraction]. */
export function jitter(value: number, fraction: number, random: Random): number {
  return value * (1 - fraction + 2 * fraction * random.next());
}
