/**
 * A mesh-wide pace for certificate issuance, so that 10,000 proxies reconnecting at once after a
 * control-plane restart do not stampede the CA (and starve Discovery of CPU). A request is given
 * the next free slot (one every 1/perSecond s, after a burst); it waits for it when that is at most `maxWaitMs`
 * away, and is refused at once otherwise (the proxy retries with its jittered backoff). Waiting
 * rather than refusing everything past a burst keeps the CA busy at the chosen rate instead of
 * idle between waves of retries.
 */
import type { Clock } from '@weft/core';

/** Options for {@link CertifyPacer}. */
export interface CertifyPaceOptions {
  /** Certificates issued per second at most, across all identities. */
  readonly perSecond: number;
  /** Requests admitted at once, without waiting, after a quiet period (>= 1). */
  readonly burst: number;
  /** The longest a request waits for its slot before it is refused (keep it below the client deadline). */
  readonly maxWaitMs: number;
}

/** Default: 500/s (about a seventh of one core's ECDSA issuance rate, `npm run bench:ca`), 5 s wait. */
export const DEFAULT_CERTIFY_PACE: CertifyPaceOptions = { perSecond: 500, burst: 50, maxWaitMs: 5000 };

/** Paces admissions to a fixed rate (a virtual-time scheduler, GCRA); O(1) memory. */
export class CertifyPacer {
  private readonly intervalMs: number;
  /** How far ahead of now the schedule may run before requests wait (the burst). */
  private readonly toleranceMs: number;
  /** The monotonic time of the next free slot. */
  private nextFree = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly options: CertifyPaceOptions,
    private readonly clock: Clock,
  ) {
    if (!(options.perSecond > 0) || !(options.burst >= 1) || !(options.maxWaitMs >= 0)) {
      throw new RangeError('certify pace: perSecond must be > 0, burst >= 1 and maxWaitMs >= 0');
    }
    this.intervalMs = 1000 / options.perSecond;
    this.toleranceMs = (Math.floor(options.burst) - 1) * this.intervalMs;
  }

  /**
   * Resolves true when the caller may issue now (after waiting for its slot), or false at once
   * when its slot is more than `maxWaitMs` (or the caller's own `waitLimitMs`, e.g. what is left
   * of its deadline) away; the caller then refuses the request.
   */
  admit(waitLimitMs = Number.POSITIVE_INFINITY): Promise<boolean> {
    const now = this.clock.monotonic();
    const slot = Math.max(now, this.nextFree);
    const waitMs = slot - now - this.toleranceMs;
    if (waitMs > Math.min(this.options.maxWaitMs, waitLimitMs)) return Promise.resolve(false);
    this.nextFree = slot + this.intervalMs;
    if (waitMs <= 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      this.clock.setTimeout(() => resolve(true), waitMs);
    });
  }
}
