/** Exponential backoff with jitter between retries. */
import type { Random } from '../random.js';

/** Backoff settings (TrafficPolicy `retry.backoff`). */
export interface BackoffOptions {
  /** The ceiling of the first retry's delay. */
  readonly baseMs: number;
  /** The ceiling of any delay. */
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 25, maxMs: 250 };

/**
 * The delay before retry number `retry` (1 for the first retry): the ceiling
 * `min(max, base * 2^(retry-1))`, jittered uniformly over its upper half ("equal jitter"),
 * so delays grow exponentially, never exceed `max`, and retries of many requests spread out.
 */
export function backoffDelayMs(options: BackoffOptions, retry: number, random: Random): number {
  const exponent = Math.min(Math.max(0, retry - 1), 30);
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** exponent);
  return ceiling / 2 + (random.next() * ceiling) / 2;
}
