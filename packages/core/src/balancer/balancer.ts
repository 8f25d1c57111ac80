/** The Balancer: owns an endpoint set, its load and outlier state, and swaps immutable pickers as they change. */
import type { Clock } from '../clock.js';
import { WeftError } from '../errors.js';
import type { OutlierDetector } from '../outlier/outlier-detector.js';
import type { Random } from '../random.js';
import { type AttemptResult, EndpointLoad, type PeakEwmaOptions } from './endpoint-load.js';
import { leastRequestCost, P2cPicker, peakEwmaCost } from './p2c.js';
import type { BalancedEndpoint, Picker, PickerContext, PickResult, SnapshotEndpoint } from './picker.js';
import { RoundRobinPicker } from './round-robin.js';
import {
  nextWarmUpStep,
  resolveSlowStart,
  type SlowStart,
  type SlowStartOptions,
  warmUpFactor,
} from './slow-start.js';

/** Load balancing algorithms (TrafficPolicy `loadBalancer.type`). */
export type BalancerAlgorithm = 'PeakEWMA' | 'RoundRobin' | 'LeastRequest';

/** An endpoint as given to {@link Balancer.update}. */
export interface EndpointInput<T> {
  readonly key: string;
  readonly value: T;
  /** 0 removes the endpoint from rotation; default 1. */
  readonly weight?: number;
}

/** Balancer settings. */
export interface BalancerOptions {
  readonly algorithm: BalancerAlgorithm;
  readonly clock: Clock;
  readonly random: Random;
  /** Ejects failing endpoints; absent means no outlier detection. */
  readonly outlierDetector?: OutlierDetector;
  readonly slowStart?: SlowStartOptions;
  readonly peakEwma?: PeakEwmaOptions;
  /**
   * At most one probe per this many ms goes to an endpoint whose last attempt failed. Failures
   * count as slow, so P2C starves a failing endpoint of traffic; probes give outlier detection
   * the evidence to eject it (or see it recover). Default 200 ms; 0 disables probes.
   */
  readonly probeIntervalMs?: number;
  /**
   * Told when the balancer enters panic mode (metrics, logs): no endpoint is healthy (each is
   * ejected or failing while the ejection cap keeps it in rotation) and at least one is ejected,
   * so every endpoint, ejected ones included, is picked from. Never with a 100% ejection cap
   * (that operator chose to fail fast). Must not throw.
   */
  readonly onPanic?: (members: number) => void;
}

interface Member<T> {
  readonly endpoint: BalancedEndpoint<T>;
  /** Monotonic ms when it joined; -Infinity for the first set (no warm-up at start). */
  readonly addedAt: number;
}

/** An attempt in flight on a picked endpoint; `end` must be called exactly once. */
export interface Attempt {
  end(result: AttemptResult): void;
}

/**
 * One balancer per backend (service port), used from one event loop. `update` swaps the
 * member set; `pick` uses the current picker, rebuilding it first when
 * outlier state changed or a warm-up step or ejection expiry has passed (lazy, no timers).
 */
export class Balancer<T> {
  private members = new Map<string, Member<T>>();
  private picker: Picker<T> | undefined;
  private pickerFailure: PickResult<T> | undefined;
  private validUntil = Number.NEGATIVE_INFINITY;
  private builtVersion = -1;
  private updated = false;
  private cursor: number;
  private readonly slowStart: SlowStart;
  /** Keys whose last attempt failed, in the order they are next probed. */
  private readonly suspects = new Set<string>();
  private nextProbeAt = Number.NEGATIVE_INFINITY;
  private readonly probeIntervalMs: number;
  private panic = false;

  constructor(private readonly options: BalancerOptions) {
    this.slowStart = resolveSlowStart(options.slowStart);
    this.cursor = Math.floor(options.random.next() * 0x7fffffff);
    this.probeIntervalMs = options.probeIntervalMs ?? 200;
  }

  /** True while the balancer is in panic mode (see {@link BalancerOptions.onPanic}). */
  get panicking(): boolean {
    this.refresh(this.options.clock.monotonic());
    return this.panic;
  }

  /** Number of endpoints (ejected or not). */
  get size(): number {
    return this.members.size;
  }

  /**
   * Replaces the endpoint set. Endpoints whose key stays keep their load; new ones warm
   * up (except in the very first set). Throws WeftError INVALID_CONFIG for a bad weight.
   */
  update(endpoints: readonly EndpointInput<T>[]): void {
    const now = this.options.clock.monotonic();
    const next = new Map<string, Member<T>>();
    endpoints.forEach((input, i) => {
      const weight = input.weight ?? 1;
      if (!Number.isFinite(weight) || weight < 0) {
        throw new WeftError(
          'INVALID_CONFIG',
          `endpoints[${i}].weight: must be a finite number >= 0 (got ${weight})`,
        );
      }
      if (weight === 0) return;
      const old = this.members.get(input.key);
      const load = old?.endpoint.load ?? new EndpointLoad(this.options.clock, this.options.peakEwma);
      const addedAt = old?.addedAt ?? (this.updated ? now : Number.NEGATIVE_INFINITY);
      next.set(input.key, { endpoint: { key: input.key, value: input.value, weight, load }, addedAt });
    });
    this.members = next;
    this.updated = true;
    if (this.picker instanceof RoundRobinPicker) this.cursor = this.picker.position;
    this.options.outlierDetector?.retain(new Set(next.keys()));
    this.picker = undefined;
    this.validUntil = Number.NEGATIVE_INFINITY;
  }

  /**
   * Picks an endpoint (see {@link Picker.pick}) or says why none can be picked. A retry passes
   * the keys it already tried in `exclude`: they are avoided whenever any other endpoint is
   * available, ejected ones included (Envoy's `previous_hosts`): when every endpoint in
   * rotation was tried, an ejected endpoint the request has not tried is a better bet than one
   * that just failed it. Not with a 100% ejection cap (that operator chose to fail fast).
   */
  pick(exclude?: ReadonlySet<string>): PickResult<T> {
    const now = this.options.clock.monotonic();
    this.refresh(now);
    if (this.picker === undefined) return this.pickerFailure as PickResult<T>;
    if (this.suspects.size > 0 && this.probeIntervalMs > 0 && now >= this.nextProbeAt) {
      const probe = this.findProbe(now, exclude);
      if (probe !== undefined) {
        this.nextProbeAt = now + this.probeIntervalMs;
        return { type: 'pick', endpoint: probe };
      }
    }
    const endpoint = this.picker.pick(exclude);
    if (exclude === undefined || !exclude.has(endpoint.key)) return { type: 'pick', endpoint };
    return { type: 'pick', endpoint: this.untriedOutsideRotation(exclude, now) ?? endpoint };
  }

  /**
   * A member the picker does not hold (ejected) and `exclude` does not name, the least loaded
   * (ties broken at random); undefined when there is none or the ejection cap is 100%.
   */
  private untriedOutsideRotation(exclude: ReadonlySet<string>, now: number): BalancedEndpoint<T> | undefined {
    const detector = this.options.outlierDetector;
    if (detector === undefined || detector.ejectsAll) return undefined;
    let best: BalancedEndpoint<T> | undefined;
    let ties = 0;
    for (const m of this.members.values()) {
      const e = m.endpoint;
      if (exclude.has(e.key) || !detector.isEjected(e.key, now)) continue;
      if (best === undefined || e.load.inflight < best.load.inflight) {
        best = e;
        ties = 1;
      } else if (e.load.inflight === best.load.inflight && this.options.random.next() * ++ties < 1) {
        best = e;
      }
    }
    return best;
  }

  /** A suspect that is in rotation, idle and not excluded; it moves to the back of the line. */
  private findProbe(now: number, exclude: ReadonlySet<string> | undefined): BalancedEndpoint<T> | undefined {
    for (const key of this.suspects) {
      const m = this.members.get(key);
      if (m === undefined) {
        this.suspects.delete(key);
        continue;
      }
      if (
        m.endpoint.load.inflight > 0 ||
        exclude?.has(key) ||
        this.options.outlierDetector?.isEjected(key, now)
      )
        continue;
      this.suspects.delete(key);
      this.suspects.add(key);
      return m.endpoint;
    }
    return undefined;
  }

  /** Starts an attempt on a picked endpoint: counts it in flight; `end` feeds load and outlier detection. */
  start(endpoint: BalancedEndpoint<T>): Attempt {
    const startedAt = endpoint.load.start();
    // Sent to an ejected endpoint (panic mode, or a retry avoiding the endpoints it tried).
    const toEjected = this.options.outlierDetector?.isEjected(endpoint.key) === true;
    let ended = false;
    return {
      end: (result) => {
        if (ended) return;
        ended = true;
        endpoint.load.finish(startedAt, result);
        if (result === 'cancelled' || this.members.get(endpoint.key)?.endpoint !== endpoint) return;
        if (result === 'success') this.suspects.delete(endpoint.key);
        else this.suspects.add(endpoint.key);
        const detector = this.options.outlierDetector;
        // A success sent to an ejected endpoint (or in panic mode) is proof it is back: reinstate it.
        if ((this.panic || toEjected) && result === 'success' && detector?.isEjected(endpoint.key))
          detector.reinstate(endpoint.key);
        else detector?.record(endpoint.key, result, this.members.size);
      },
    };
  }

  /**
   * Panic mode, as Envoy's: when no endpoint is healthy and some are ejected, ejected ones are
   * tried too — a request to an ejected endpoint may succeed, one to a dead endpoint cannot.
   */
  private inPanic(detector: OutlierDetector, now: number): boolean {
    if (detector.ejectsAll) return false;
    let ejected = 0;
    for (const m of this.members.values()) {
      const key = m.endpoint.key;
      if (detector.isEjected(key, now)) ejected++;
      else if (!detector.isFailing(key, now)) return false;
    }
    return ejected > 0;
  }

  /** Rebuilds the picker when outlier state changed or a warm-up step or ejection expiry passed. */
  private refresh(now: number): void {
    const detector = this.options.outlierDetector;
    if (now >= this.validUntil || (detector !== undefined && detector.version !== this.builtVersion))
      this.rebuild(now);
  }

  private rebuild(now: number): void {
    const detector = this.options.outlierDetector;
    this.builtVersion = detector?.version ?? -1;
    let validUntil = detector?.nextExpiry(now) ?? Number.POSITIVE_INFINITY;
    const snapshot: SnapshotEndpoint<T>[] = [];
    const panic = detector !== undefined && this.inPanic(detector, now);
    if (panic && !this.panic) this.options.onPanic?.(this.members.size);
    this.panic = panic;
    for (const m of this.members.values()) {
      if (!panic && detector?.isEjected(m.endpoint.key, now)) continue;
      const factor = warmUpFactor(this.slowStart, now - m.addedAt);
      validUntil = Math.min(validUntil, nextWarmUpStep(this.slowStart, m.addedAt, now));
      snapshot.push({ endpoint: m.endpoint, effectiveWeight: m.endpoint.weight * factor });
    }
    this.validUntil = validUntil;
    if (this.picker instanceof RoundRobinPicker) this.cursor = this.picker.position;
    if (snapshot.length === 0) {
      this.picker = undefined;
      this.pickerFailure =
        this.members.size === 0
          ? { type: 'fail', reason: 'no-endpoints', message: 'no endpoints available' }
          : {
              type: 'fail',
              reason: 'all-ejected',
              message: `all ${this.members.size} endpoints are ejected`,
            };
      return;
    }
    const context: PickerContext = { random: this.options.random, cursor: this.cursor };
    switch (this.options.algorithm) {
      case 'PeakEWMA':
        this.picker = new P2cPicker(snapshot, context, peakEwmaCost);
        break;
      case 'LeastRequest':
        this.picker = new P2cPicker(snapshot, context, leastRequestCost);
        break;
      case 'RoundRobin':
        this.picker = new RoundRobinPicker(snapshot, context);
        break;
    }
  }
}
