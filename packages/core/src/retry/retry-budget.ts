/** A retry budget: retries may add at most `ratio` of the original requests, plus a floor per second, over a sliding window. */
import type { Clock } from '../clock.js';
import { WeftError } from '../errors.js';

/** Budget settings (TrafficPolicy `retry.budget`). */
export interface RetryBudgetOptions {
  /** Retries allowed per original request, averaged over the window (0.2 = 20% extra load). */
  readonly ratio: number;
  /** Retries allowed per second regardless of the ratio, so that low traffic can still retry. */
  readonly minPerSecond: number;
  /** The sliding window, in ms. */
  readonly ttlMs: number;
}

export const DEFAULT_RETRY_BUDGET: RetryBudgetOptions = { ratio: 0.2, minPerSecond: 10, ttlMs: 10_000 };

const BUCKETS = 10;

/**
 * Counts original requests and retries in a window of 10 buckets. A retry is allowed while
 * `retries + 1 <= ratio * requests + minPerSecond * ttl/1s` within the window, so over any
 * window retries add at most `ratio` of the load plus the floor: retries never multiply load.
 * One budget per destination, shared by every request to it.
 */
export class RetryBudget {
  private readonly requests = new Float64Array(BUCKETS);
  private readonly retries = new Float64Array(BUCKETS);
  private readonly bucketMs: number;
  private readonly reserve: number;
  private epoch: number;
  /** Retries refused so far (for metrics). */
  exhausted = 0;

  /** Throws WeftError INVALID_CONFIG for an out-of-range setting, naming the field. */
  constructor(
    private readonly options: RetryBudgetOptions,
    private readonly clock: Clock,
  ) {
    if (!(options.ratio >= 0 && options.ratio <= 1000)) {
      throw new WeftError('INVALID_CONFIG', 'retry.budget.ratio: must be a number >= 0');
    }
    if (!(options.minPerSecond >= 0))
      throw new WeftError('INVALID_CONFIG', 'retry.budget.minPerSecond: must be >= 0');
    if (!(options.ttlMs >= 1000 && options.ttlMs <= 60_000)) {
      throw new WeftError('INVALID_CONFIG', 'retry.budget.ttl: must be between 1s and 60s');
    }
    this.bucketMs = options.ttlMs / BUCKETS;
    this.reserve = (options.minPerSecond * options.ttlMs) / 1000;
    this.epoch = this.bucketOf(clock.monotonic());
  }

  /** Records an original (first-attempt) request: it earns `ratio` of a retry. */
  deposit(): void {
    this.roll();
    const b = this.epoch % BUCKETS;
    this.requests[b] = (this.requests[b] as number) + 1;
  }

  /** Takes one retry from the budget; false (and counted) when the budget is spent. */
  tryWithdraw(): boolean {
    this.roll();
    let requests = 0;
    let retries = 0;
    for (let i = 0; i < BUCKETS; i++) {
      requests += this.requests[i] as number;
      retries += this.retries[i] as number;
    }
    if (retries + 1 > this.options.ratio * requests + this.reserve) {
      this.exhausted++;
      return false;
    }
    const b = this.epoch % BUCKETS;
    this.retries[b] = (this.retries[b] as number) + 1;
    return true;
  }

  private bucketOf(now: number): number {
    return Math.floor(now / this.bucketMs);
  }

  /** Clears buckets that fell out of the window. */
  private roll(): void {
    const current = this.bucketOf(this.clock.monotonic());
    if (current === this.epoch) return;
    const steps = Math.min(BUCKETS, current - this.epoch);
    for (let i = 1; i <= steps; i++) {
      const b = (this.epoch + i) % BUCKETS;
      this.requests[b] = 0;
      this.retries[b] = 0;
    }
    this.epoch = current;
  }
}
