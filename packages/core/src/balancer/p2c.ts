/** Power of two choices: sample two endpoints by weight, send to the one with the lower cost. */
import type { BalancedEndpoint, Picker, PickerContext, SnapshotEndpoint } from './picker.js';
import { WeightedSampler } from './picker.js';

/** A cost function: lower is better. */
export type CostFn = <T>(endpoint: BalancedEndpoint<T>) => number;

/** Peak-EWMA cost: latency estimate times (requests in flight + 1). */
export const peakEwmaCost: CostFn = (e) => e.load.cost();

/** Least-request cost: requests in flight. */
export const leastRequestCost: CostFn = (e) => e.load.inflight;

const DRAWS = 4;

/**
 * P2C picker (Mitzenmacher; Finagle, linkerd2-proxy, Envoy's least request). Candidates
 * are drawn in proportion to effective weight, so weights and slow start hold when costs
 * are equal; cost breaks the tie between the two. O(log n) per pick for unequal weights,
 * O(1) otherwise.
 */
export class P2cPicker<T> implements Picker<T> {
  private readonly endpoints: BalancedEndpoint<T>[];
  private readonly sampler: WeightedSampler;

  constructor(
    snapshot: readonly SnapshotEndpoint<T>[],
    private readonly context: PickerContext,
    private readonly costOf: CostFn,
  ) {
    this.endpoints = snapshot.map((s) => s.endpoint);
    this.sampler = new WeightedSampler(
      snapshot.map((s) => s.effectiveWeight),
      context.random,
    );
  }

  pick(exclude?: ReadonlySet<string>): BalancedEndpoint<T> {
    const n = this.endpoints.length;
    if (n === 1) return this.endpoints[0] as BalancedEndpoint<T>;
    const avoid = exclude !== undefined && exclude.size > 0 ? exclude : undefined;
    const a = this.drawOne(avoid, -1);
    const b = this.drawOne(avoid, a);
    const ea = this.endpoints[a] as BalancedEndpoint<T>;
    if (b === a) return ea;
    const eb = this.endpoints[b] as BalancedEndpoint<T>;
    if (avoid !== undefined) {
      const xa = avoid.has(ea.key);
      const xb = avoid.has(eb.key);
      if (xa !== xb) return xa ? eb : ea;
    }
    return this.costOf(eb) < this.costOf(ea) ? eb : ea;
  }

  /** Draws an index that is neither `other` nor excluded, if a few draws find one; then scans. */
  private drawOne(avoid: ReadonlySet<string> | undefined, other: number): number {
    let index = -1;
    for (let i = 0; i < DRAWS; i++) {
      index = this.sampler.draw();
      if (
        index !== other &&
        (avoid === undefined || !avoid.has((this.endpoints[index] as BalancedEndpoint<T>).key))
      ) {
        return index;
      }
    }
    // Rare (few endpoints, skewed weights or most excluded): scan from a random start.
    const n = this.endpoints.length;
    const start = Math.floor(this.context.random.next() * n);
    for (let i = 0; i < n; i++) {
      const j = (start + i) % n;
      if (j !== other && (avoid === undefined || !avoid.has((this.endpoints[j] as BalancedEndpoint<T>).key)))
        return j;
    }
    return index;
  }
}
