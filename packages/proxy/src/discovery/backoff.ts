/** Exponential backoff with full jitter for reconnects: base * 2^attempt, capped, then scaled by [0.5, 1.5). */
import { jitter, type Random } from '@weft/core';

export interface BackoffOptions {
  readonly baseMs: number;
  readonly maxMs: number;
}

export class Backoff {
  private attempt = 0;

  constructor(
    private readonly options: BackoffOptions,
    private readonly random: Random,
  ) {}

  /** The delay before the next attempt. */
  next(): number {
    const raw = Math.min(this.options.maxMs, this.options.baseMs * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 30);
    return jitter(raw, 0.5, this.random);
  }

  reset(): void {
    this.attempt = 0;
  }
}
