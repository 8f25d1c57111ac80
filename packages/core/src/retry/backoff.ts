/**
 * The one exponential backoff formula of weft, with full jitter: request retries (RetryLoop)
 * use it directly, reconnects and restarts through @weft/runtime's stateful `Backoff`.
 */
import type { Random } from '../random.js';

/** Backoff settings (TrafficPolicy `retry.backoff`, reconnect and restart backoffs). */
export interface BackoffOptions {
  /** The ceiling of the first delay. */
  readonly baseMs: number;
  /** The ceiling of any delay. */
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 25, maxMs: 250 };

/** Exponents above this add nothing (2^30 times any base is past any cap) and keep the math finite. */
const MAX_EXPONENT = 30;

/**
 * The delay before the next try after `failures` consecutive failed ones (0 before the first
 * retry): uniform in [0, min(max, base * 2^failures)] ("full jitter"), so delays grow
 * exponentially, never exceed `max`, and the retries of many clients do not arrive in step.
 */
export function backoffDelayMs(options: BackoffOptions, failures: number, random: Random): number {
  const exponent = Math.min(Math.max(0, failures), MAX_EXPONENT);
  return random.next() * Math.min(options.maxMs, options.baseMs * 2 ** exponent);
}
