/** Live load of one endpoint: requests in flight and a peak-sensitive moving average of latency (peak-EWMA). */
import type { Clock } from '../clock.js';

/** How latency is averaged. */
export interface PeakEwmaOptions {
  /** Decay time constant: an observation's weight falls to 1/e after this long. Default 10 s. */
  readonly decayMs?: number;
  /** The estimate a new endpoint starts with. Default 30 ms. */
  readonly defaultRttMs?: number;
  /**
   * The latency a failed attempt counts as, at least: failures count as slow, so that an
   * endpoint that fails fast does not attract traffic. Default 1 s.
   */
  readonly failurePenaltyMs?: number;
}

/**
 * How an attempt on an endpoint ended, for load and outlier accounting. `unreachable` is a
 * failure to connect at all (refused, unreachable, handshake failed): the endpoint is not
 * serving, so outlier detection counts it as a full run of consecutive failures at once.
 */
export type AttemptResult = 'success' | 'failure' | 'unreachable' | 'cancelled';

/**
 * Load of one endpoint, shared by every picker snapshot that contains it. The proxy calls
 * {@link start} when an attempt is sent and {@link finish} when it ends.
 *
 * Peak-EWMA (Finagle, linkerd2-proxy): a slower observation replaces the estimate at once;
 * faster ones blend in exponentially by elapsed time; the estimate also decays towards 0
 * while nothing is observed, so an idle slow endpoint is tried again eventually.
 */
export class EndpointLoad {
  private inflightCount = 0;
  private rttMs: number;
  private stampMs: number;
  private readonly decayMs: number;
  private readonly failurePenaltyMs: number;

  constructor(
    private readonly clock: Clock,
    options: PeakEwmaOptions = {},
  ) {
    this.decayMs = options.decayMs ?? 10_000;
    this.rttMs = options.defaultRttMs ?? 30;
    this.failurePenaltyMs = options.failurePenaltyMs ?? 1000;
    this.stampMs = clock.monotonic();
  }

  /** Requests currently in flight to this endpoint. */
  get inflight(): number {
    return this.inflightCount;
  }

  /** Marks an attempt as sent; returns its start time for {@link finish}. */
  start(): number {
    this.inflightCount++;
    return this.clock.monotonic();
  }

  /** Records the end of an attempt started at `startedAt`. A cancelled attempt updates no latency. */
  finish(startedAt: number, result: AttemptResult): void {
    if (this.inflightCount > 0) this.inflightCount--;
    if (result === 'cancelled') return;
    const now = this.clock.monotonic();
    const rtt = Math.max(0, now - startedAt);
    this.observe(result !== 'success' ? Math.max(rtt, this.failurePenaltyMs) : rtt, now);
  }

  /** The latency estimate now, in milliseconds (decayed since the last observation). */
  rttEstimate(now = this.clock.monotonic()): number {
    this.decay(now);
    return this.rttMs;
  }

  /** Peak-EWMA cost: estimated latency times (in flight + 1). Lower is better. */
  cost(now = this.clock.monotonic()): number {
    return (this.rttEstimate(now) + 0.001) * (this.inflightCount + 1);
  }

  private observe(rtt: number, now: number): void {
    if (rtt > this.rttMs) {
      this.rttMs = rtt;
    } else {
      const w = Math.exp(-Math.max(0, now - this.stampMs) / this.decayMs);
      this.rttMs = this.rttMs * w + rtt * (1 - w);
    }
    this.stampMs = now;
  }

  private decay(now: number): void {
    const elapsed = now - this.stampMs;
    if (elapsed <= 0) return;
    this.rttMs *= Math.exp(-elapsed / this.decayMs);
    this.stampMs = now;
  }
}
