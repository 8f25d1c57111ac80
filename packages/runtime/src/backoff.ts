/**
 * Stateful exponential backoff for reconnects and restarts: counts consecutive failures, gives
 * the next delay (core's one formula: full jitter, uniform in [0, min(max, base * 2^failures)])
 * and owns the one pending retry timer.
 */
import {
  type BackoffOptions,
  backoffDelayMs,
  type Clock,
  type Random,
  systemClock,
  systemRandom,
  type TimerHandle,
} from '@weft/core';

/** Options of {@link Backoff}. */
export interface BackoffSettings extends BackoffOptions {
  /** Jitter source; default Math.random. Tests pass a seeded one. */
  readonly random?: Random;
  /** Timers of {@link Backoff.retry}; default the system clock. Tests pass a ManualClock. */
  readonly clock?: Clock;
}

/**
 * The backoff of one reconnecting or restarting thing (a discovery stream, an informer, a
 * certificate renewal). Its owner calls `next()` (or `retry(action)`) after each failure and
 * `reset()` once the far side answers again.
 */
export class Backoff {
  private consecutive = 0;
  private timer: TimerHandle | undefined;
  private readonly random: Random;
  private readonly clock: Clock;

  constructor(private readonly settings: BackoffSettings) {
    if (!(settings.baseMs >= 0) || !(settings.maxMs >= settings.baseMs)) {
      throw new RangeError(`backoff: need 0 <= baseMs <= maxMs (got ${settings.baseMs}, ${settings.maxMs})`);
    }
    this.random = settings.random ?? systemRandom;
    this.clock = settings.clock ?? systemClock;
  }

  /** Consecutive failures since the last `reset()`. */
  get failures(): number {
    return this.consecutive;
  }

  /** Counts one more failure and returns the delay before the next try (ms). */
  next(): number {
    const delay = backoffDelayMs(this.settings, this.consecutive, this.random);
    this.consecutive++;
    return delay;
  }

  /** The far side answered: the next failure waits at most `baseMs` again. */
  reset(): void {
    this.consecutive = 0;
  }

  /**
   * Counts a failure and runs `action` after the next delay, replacing a retry still pending
   * (one failure, one retry). Returns the delay.
   */
  retry(action: () => void): number {
    return this.retryAfter(this.next(), action);
  }

  /**
   * Runs `action` after `delayMs` (e.g. a server's Retry-After) without counting a failure,
   * replacing a retry still pending.
   */
  retryAfter(delayMs: number, action: () => void): number {
    this.cancel();
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      action();
    }, delayMs);
    return delayMs;
  }

  /** True while a retry waits. */
  get pending(): boolean {
    return this.timer !== undefined;
  }

  /** Cancels the pending retry, if any. */
  cancel(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }
}
