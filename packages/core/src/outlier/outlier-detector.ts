/** Outlier detection: eject endpoints after consecutive failures, for exponentially growing times, within a cap. */
import type { Clock } from '../clock.js';
import { WeftError } from '../errors.js';

/** Outlier detection settings (TrafficPolicy `outlierDetection`). */
export interface OutlierDetectionOptions {
  /** Consecutive 5xx responses or connect failures that eject an endpoint. */
  readonly consecutiveFailures: number;
  /** The first ejection's duration; each later one doubles it. */
  readonly baseEjectionTimeMs: number;
  /** Upper bound on one ejection. Default max(300 s, base). */
  readonly maxEjectionTimeMs?: number;
  /**
   * At most this share of endpoints is ejected at once (0-100), rounded down: with 50%, one
   * of two or three endpoints, none of one. Only 100% can eject every endpoint (then requests
   * fail fast).
   */
  readonly maxEjectionPercent: number;
}

/** What one recorded result did. */
export type OutlierEvent =
  | { readonly type: 'none' }
  | { readonly type: 'ejected'; readonly key: string; readonly untilMs: number; readonly ejections: number }
  | { readonly type: 'ejection-skipped'; readonly key: string; readonly reason: 'max-ejection-percent' };

interface EndpointState {
  consecutive: number;
  /** Number of ejections since the endpoint last succeeded after one; sets the next duration. */
  ejections: number;
  /** Monotonic ms until which the endpoint is ejected; 0 when it is not. */
  ejectedUntil: number;
  /** Returned from an ejection and not yet succeeded: one failure ejects it again. */
  probing: boolean;
  /** Failed enough to be ejected, but the ejection cap kept it in rotation; cleared by a success. */
  failing: boolean;
}

/**
 * Tracks consecutive failures per endpoint key and decides ejections. The balancer asks
 * {@link isEjected} when it builds a snapshot and rebuilds when {@link version} changes or
 * {@link nextExpiry} passes. After an ejection ends, the endpoint is on probation: its next
 * result decides (success resets the backoff, failure ejects it for twice as long).
 */
export class OutlierDetector {
  private readonly states = new Map<string, EndpointState>();
  private readonly maxEjectionTimeMs: number;
  private changes = 0;
  /** Ejections so far, and ejections refused by the percentage cap (for metrics). */
  ejectionsTotal = 0;
  ejectionsSkipped = 0;
  /** Told about every ejection and skipped ejection (metrics, logs). Must not throw. */
  onEvent: (event: OutlierEvent) => void = () => {};

  /** Throws WeftError INVALID_CONFIG for out-of-range settings, naming the field. */
  constructor(
    private readonly options: OutlierDetectionOptions,
    private readonly clock: Clock,
  ) {
    if (!Number.isInteger(options.consecutiveFailures) || options.consecutiveFailures < 1) {
      throw new WeftError('INVALID_CONFIG', 'outlierDetection.consecutiveFailures: must be an integer >= 1');
    }
    if (!(options.baseEjectionTimeMs > 0)) {
      throw new WeftError('INVALID_CONFIG', 'outlierDetection.baseEjectionTime: must be > 0');
    }
    if (!(options.maxEjectionPercent >= 0 && options.maxEjectionPercent <= 100)) {
      throw new WeftError('INVALID_CONFIG', 'outlierDetection.maxEjectionPercent: must be within 0-100');
    }
    this.maxEjectionTimeMs = Math.max(options.maxEjectionTimeMs ?? 300_000, options.baseEjectionTimeMs);
  }

  /** True when the cap is 100%: the operator chose to eject every endpoint and fail fast (no panic mode). */
  get ejectsAll(): boolean {
    return this.options.maxEjectionPercent >= 100;
  }

  /** Changes whenever an endpoint is ejected or the endpoint set changes. */
  get version(): number {
    return this.changes;
  }

  /** Keeps state only for these keys (call when endpoints change). */
  retain(keys: ReadonlySet<string>): void {
    for (const key of this.states.keys()) {
      if (!keys.has(key)) {
        this.states.delete(key);
        this.changes++;
      }
    }
  }

  /**
   * Records a 5xx or reset (`failure`), a failure to connect at all (`unreachable`: counts as
   * `consecutiveFailures` failures at once, since a refused connection is proof the endpoint
   * is not serving, not a sample) or any other completed attempt (`success`).
   */
  record(key: string, result: 'success' | 'failure' | 'unreachable', total: number): OutlierEvent {
    const now = this.clock.monotonic();
    let s = this.states.get(key);
    if (s === undefined) {
      s = { consecutive: 0, ejections: 0, ejectedUntil: 0, probing: false, failing: false };
      this.states.set(key, s);
    }
    if (s.ejectedUntil > now) return NONE; // a late result from before the ejection
    if (s.ejectedUntil !== 0) {
      s.ejectedUntil = 0;
      s.probing = true;
    }
    if (result === 'success') {
      s.consecutive = 0;
      if (s.failing) {
        s.failing = false;
        this.changes++;
      }
      if (s.probing) {
        s.probing = false;
        s.ejections = 0;
      }
      return NONE;
    }
    s.consecutive =
      result === 'unreachable'
        ? Math.max(s.consecutive + 1, this.options.consecutiveFailures)
        : s.consecutive + 1;
    if (!s.probing && s.consecutive < this.options.consecutiveFailures) return NONE;
    if (this.ejectedCount(now) >= this.maxEjected(total)) {
      // Failing but kept in rotation by the cap: the balancer's panic decision depends on it.
      if (!s.failing) {
        s.failing = true;
        this.changes++;
      }
      this.ejectionsSkipped++;
      const skipped: OutlierEvent = { type: 'ejection-skipped', key, reason: 'max-ejection-percent' };
      this.onEvent(skipped);
      return skipped;
    }
    s.ejections++;
    const duration = Math.min(
      this.maxEjectionTimeMs,
      this.options.baseEjectionTimeMs * 2 ** (s.ejections - 1),
    );
    s.ejectedUntil = now + duration;
    s.consecutive = 0;
    s.probing = false;
    s.failing = false;
    this.changes++;
    this.ejectionsTotal++;
    const ejected: OutlierEvent = { type: 'ejected', key, untilMs: s.ejectedUntil, ejections: s.ejections };
    this.onEvent(ejected);
    return ejected;
  }

  /**
   * Ends `key`'s ejection early: it just succeeded while ejected (the balancer tried it in panic
   * mode), so it is back in rotation. A later failure counts from zero, as after probation.
   */
  reinstate(key: string): void {
    const s = this.states.get(key);
    if (s === undefined || s.ejectedUntil === 0) return;
    s.ejectedUntil = 0;
    s.consecutive = 0;
    s.probing = false;
    this.changes++;
  }

  /** True while `key` is ejected. */
  isEjected(key: string, now = this.clock.monotonic()): boolean {
    const s = this.states.get(key);
    return s !== undefined && s.ejectedUntil > now;
  }

  /**
   * True while `key` is not ejected only because of the ejection cap: it failed enough to be
   * ejected and has not succeeded since. Such an endpoint does not count as healthy for panic mode.
   */
  isFailing(key: string, now = this.clock.monotonic()): boolean {
    const s = this.states.get(key);
    return s?.failing === true && s.ejectedUntil <= now;
  }

  /** Endpoints ejected now. */
  ejectedCount(now = this.clock.monotonic()): number {
    let n = 0;
    for (const s of this.states.values()) if (s.ejectedUntil > now) n++;
    return n;
  }

  /** When the earliest current ejection ends (monotonic ms), or Infinity. */
  nextExpiry(now = this.clock.monotonic()): number {
    let next = Number.POSITIVE_INFINITY;
    for (const s of this.states.values())
      if (s.ejectedUntil > now && s.ejectedUntil < next) next = s.ejectedUntil;
    return next;
  }

  private maxEjected(total: number): number {
    return Math.floor((total * this.options.maxEjectionPercent) / 100);
  }
}

const NONE: OutlierEvent = { type: 'none' };
