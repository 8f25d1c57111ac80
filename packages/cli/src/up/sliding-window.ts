/**
 * A sliding time window of samples for the demo's live view: what happened in the last N
 * seconds, bounded in memory, with exact percentiles (no histogram buckets).
 */

/** Samples of the last `windowMs`, at most `capacity` of them (the oldest go first). */
export class SlidingWindow<T> {
  private readonly items: { at: number; value: T }[] = [];

  constructor(
    readonly windowMs: number,
    private readonly capacity: number,
    private readonly now: () => number,
  ) {}

  add(value: T): void {
    this.items.push({ at: this.now(), value });
    if (this.items.length > this.capacity) this.items.splice(0, this.items.length - this.capacity);
  }

  /** The samples still inside the window, oldest first. */
  values(): T[] {
    const since = this.now() - this.windowMs;
    let drop = 0;
    while (drop < this.items.length && (this.items[drop]?.at ?? 0) <= since) drop++;
    if (drop > 0) this.items.splice(0, drop);
    return this.items.map((i) => i.value);
  }
}

/** The p-th percentile (0..100) of `values` by nearest rank (an actual sample), or undefined when empty. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}
