/** The Picker contract: an immutable snapshot of the endpoints a balancer may pick from right now. */
import type { EndpointLoad } from './endpoint-load.js';

/** One endpoint as pickers see it. `value` is whatever the caller attached (address, identity...). */
export interface BalancedEndpoint<T> {
  /** Stable identity of the endpoint (e.g. "10.0.0.7:8080"); excluded sets and outlier state use it. */
  readonly key: string;
  readonly value: T;
  /** Configured weight (> 0). */
  readonly weight: number;
  /** Live load, shared across snapshots for as long as the endpoint exists. */
  readonly load: EndpointLoad;
}

/** An endpoint in a snapshot, with its weight after slow start. */
export interface SnapshotEndpoint<T> {
  readonly endpoint: BalancedEndpoint<T>;
  /** Weight used for this snapshot: configured weight times the warm-up factor. */
  readonly effectiveWeight: number;
}

/** Why no endpoint could be picked. */
export type PickFailure = 'no-endpoints' | 'all-ejected';

/** The result of a pick. */
export type PickResult<T> =
  | { readonly type: 'pick'; readonly endpoint: BalancedEndpoint<T> }
  | { readonly type: 'fail'; readonly reason: PickFailure; readonly message: string };

/**
 * Picks one endpoint per request (HTTP) or per connection (TCP). Built by a Balancer from
 * the endpoints that are not ejected and swapped whenever that set or a weight changes;
 * never mutated except for internal cursors. Must not throw.
 */
export interface Picker<T> {
  /**
   * Picks an endpoint, avoiding keys in `exclude` (endpoints a retry already tried) where
   * another endpoint is available; when every endpoint is excluded it picks among them all.
   */
  pick(exclude?: ReadonlySet<string>): BalancedEndpoint<T>;
}

/** A picker algorithm: builds a picker for a non-empty snapshot. */
export type PickerFactory = <T>(
  endpoints: readonly SnapshotEndpoint<T>[],
  options: PickerContext,
) => Picker<T>;

/** What picker factories may use. */
export interface PickerContext {
  readonly random: { next(): number };
  /** A starting cursor for round robin, so rebuilt snapshots do not all restart at index 0. */
  readonly cursor: number;
}

/** Draws indices in proportion to effective weight: uniform when all are equal, else by binary search. */
export class WeightedSampler {
  private readonly cumulative: Float64Array | undefined;
  private readonly total: number;

  constructor(
    private readonly weights: readonly number[],
    private readonly random: { next(): number },
  ) {
    const first = weights[0] ?? 0;
    if (weights.every((w) => w === first)) {
      this.cumulative = undefined;
      this.total = weights.length;
      return;
    }
    this.cumulative = new Float64Array(weights.length);
    let total = 0;
    weights.forEach((w, i) => {
      total += w;
      (this.cumulative as Float64Array)[i] = total;
    });
    this.total = total;
  }

  get size(): number {
    return this.weights.length;
  }

  /** A random index with probability proportional to its weight. */
  draw(): number {
    const x = this.random.next() * this.total;
    const cumulative = this.cumulative;
    if (cumulative === undefined) return Math.min(Math.floor(x), this.weights.length - 1);
    return indexAt(cumulative, x);
  }
}

/** The first index whose cumulative value exceeds `x`. */
export function indexAt(cumulative: Float64Array, x: number): number {
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((cumulative[mid] as number) > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
