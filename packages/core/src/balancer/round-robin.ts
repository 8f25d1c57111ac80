/** Round robin: endpoints in turn; with unequal weights, a low-discrepancy walk over cumulative weights. */
import type { BalancedEndpoint, Picker, PickerContext, SnapshotEndpoint } from './picker.js';
import { indexAt } from './picker.js';

/** 1/phi: consecutive multiples mod 1 spread evenly over [0, 1) (Weyl sequence). */
const GOLDEN = 0.6180339887498949;

/**
 * Round robin picker. Equal weights: strict rotation. Unequal weights (or slow start):
 * position `frac(cursor / phi) * total` in the cumulative weights, which gives each
 * endpoint its share with small, deterministic discrepancy and interleaves them.
 */
export class RoundRobinPicker<T> implements Picker<T> {
  private readonly endpoints: BalancedEndpoint<T>[];
  private readonly cumulative: Float64Array | undefined;
  private readonly total: number;
  private cursor: number;

  constructor(snapshot: readonly SnapshotEndpoint<T>[], context: PickerContext) {
    this.endpoints = snapshot.map((s) => s.endpoint);
    this.cursor = context.cursor;
    const first = snapshot[0]?.effectiveWeight ?? 0;
    if (snapshot.every((s) => s.effectiveWeight === first)) {
      this.cumulative = undefined;
      this.total = snapshot.length;
    } else {
      this.cumulative = new Float64Array(snapshot.length);
      let total = 0;
      snapshot.forEach((s, i) => {
        total += s.effectiveWeight;
        (this.cumulative as Float64Array)[i] = total;
      });
      this.total = total;
    }
  }

  /** The cursor to hand to the next snapshot so the rotation continues. */
  get position(): number {
    return this.cursor;
  }

  pick(exclude?: ReadonlySet<string>): BalancedEndpoint<T> {
    const n = this.endpoints.length;
    let chosen = this.next();
    if (exclude === undefined || exclude.size === 0) return chosen;
    for (let i = 1; i < n && exclude.has(chosen.key); i++) chosen = this.next();
    if (!exclude.has(chosen.key)) return chosen;
    return this.endpoints.find((e) => !exclude.has(e.key)) ?? chosen;
  }

  private next(): BalancedEndpoint<T> {
    const c = this.cursor++;
    if (this.cumulative === undefined)
      return this.endpoints[c % this.endpoints.length] as BalancedEndpoint<T>;
    const u = (c * GOLDEN) % 1;
    return this.endpoints[indexAt(this.cumulative, u * this.total)] as BalancedEndpoint<T>;
  }
}
