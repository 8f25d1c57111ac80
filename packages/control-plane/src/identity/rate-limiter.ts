/** A per-key token bucket: each identity may ask for `burst` certificates, refilled at `perMinute`. */
import type { Clock } from '@weft/core';

/** Options for {@link KeyedRateLimiter}. */
export interface RateLimitOptions {
  /** Sustained requests per minute per key. */
  readonly perMinute: number;
  /** Requests allowed at once. */
  readonly burst: number;
  /** Keys remembered at most (least recently used dropped first). */
  readonly maxKeys?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Token buckets keyed by identity; bounded memory. */
export class KeyedRateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly ratePerMs: number;
  private readonly maxKeys: number;

  constructor(
    private readonly options: RateLimitOptions,
    private readonly clock: Clock,
  ) {
    if (!(options.perMinute > 0) || !(options.burst >= 1)) {
      throw new RangeError('rate limit: perMinute must be > 0 and burst >= 1');
    }
    this.ratePerMs = options.perMinute / 60_000;
    this.maxKeys = options.maxKeys ?? 100_000;
  }

  /** Takes one token for `key`; false when its bucket is empty. */
  tryAcquire(key: string): boolean {
    const now = this.clock.monotonic();
    const bucket = this.buckets.get(key) ?? { tokens: this.options.burst, at: now };
    bucket.tokens = Math.min(this.options.burst, bucket.tokens + (now - bucket.at) * this.ratePerMs);
    bucket.at = now;
    this.buckets.delete(key);
    this.buckets.set(key, bucket);
    if (this.buckets.size > this.maxKeys) {
      const oldest = this.buckets.keys().next().value;
      if (oldest !== undefined) this.buckets.delete(oldest);
    }
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}
