/** Weighted random choice (traffic splits, weighted endpoint sampling): an immutable snapshot over cumulative weights. */
import { WeftError } from '../errors.js';
import type { Random } from '../random.js';

/** One option and its weight (any finite number >= 0; SMI v1alpha1 weights may be fractional). */
export interface Weighted<T> {
  readonly value: T;
  readonly weight: number;
}

/**
 * Picks options in proportion to their weights. A weight-0 option is never picked. Build
 * a new one to change weights: requests already routed keep the option they got.
 */
export class WeightedChoice<T> {
  private readonly values: T[] = [];
  private readonly cumulative: number[] = [];
  /** Sum of all weights; 0 means nothing can be picked. */
  readonly total: number;

  /** Throws WeftError INVALID_CONFIG for a negative, NaN or infinite weight, naming its index. */
  constructor(options: readonly Weighted<T>[]) {
    let total = 0;
    options.forEach((o, i) => {
      if (!Number.isFinite(o.weight) || o.weight < 0) {
        throw new WeftError(
          'INVALID_CONFIG',
          `backends[${i}].weight: must be a finite number >= 0 (got ${o.weight})`,
        );
      }
      if (o.weight === 0) return;
      total += o.weight;
      this.values.push(o.value);
      this.cumulative.push(total);
    });
    this.total = total;
  }

  /** Number of options with a positive weight. */
  get size(): number {
    return this.values.length;
  }

  /** A weighted pick, or undefined when every weight is 0 (Gateway API: answer 500). */
  pick(random: Random): T | undefined {
    const n = this.values.length;
    if (n === 0) return undefined;
    if (n === 1) return this.values[0];
    return this.values[this.indexAt(random.next() * this.total)];
  }

  /** The option at position `x` in [0, total): the first whose cumulative weight exceeds x. */
  private indexAt(x: number): number {
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.cumulative[mid] as number) > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}
