/**
 * A retry budget: retries may add at most `ratio` of the original requests over a sliding
 * window, plus a floor of `minPerSecond` that lets quiet clients retry at all.
 */
import type { Clock } from '../clock.js';
import { WeftError } from '../errors.js';

/** Budget settings (TrafficPolicy `retry.budget`). */
export interface RetryBudgetOptions {
  /** Retries allowed per original request, over the window (0.2 = 20% extra load). */
  readonly ratio: number;
  /** Retries allowed per second regardless of the ratio, so that low traffic can still retry. */
  readonly minPerSecond: number;
  /** The sliding window, in ms; also how many seconds of the floor may be saved up. */
  readonly ttlMs: number;
}

export const DEFAULT_RETRY_BUDGET: RetryBudgetOptions = { ratio: 0.2, minPerSecond: 10, ttlMs: 10_000 };

const BUCKETS = 10;

/**
 * Two sources pay for a retry, tried in order:
 * - the ratio: within the window (10 buckets of ttl/10), retries charged to it stay at most
 *   `ratio x requests` of that window;
 * - the floor: a token bucket refilled at `minPerSecond`, holding at most `minPerSecond x ttl`.
 * So over any run of T seconds with N requests, retries stay within about `ratio x N +
 * minPerSecond x (T + ttl)`: they never multiply load. One budget per destination.
 */
export class RetryBudget {
  private readonly requests = new Float64Array(BUCKETS);
  private readonly retries = new Float64Array(BUCKETS);
  private readonly bucketMs: number;
  private readonly capacity: number;
  private tokens: number;
  private refilledAt: number;
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
    const now = clock.monotonic();
    this.bucketMs = options.ttlMs / BUCKETS;
    this.capacity = (options.minPerSecond * options.ttlMs) / 1000;
    this.tokens = this.capacity;
    this.refilledAt = now;
    this.epoch = this.bucketOf(now);
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
    if (retries + 1 <= this.options.ratio * requests) {
      const b = this.epoch % BUCKETS;
      this.retries[b] = (this.retries[b] as number) + 1;
      return true;
    }
    this.refill();
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    this.exhausted++;
    return false;
  }

  private refill(): void {
    const now = this.clock.monotonic();
    const earned = ((now - this.refilledAt) / 1000) * this.options.minPerSecond;
    this.tokens = Math.min(this.capacity, this.tokens + earned);
    this.refilledAt = now;
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
