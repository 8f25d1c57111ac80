/** Slow start: a new endpoint's weight ramps up over a window instead of taking its full share at once. */

/** Warm-up settings. */
export interface SlowStartOptions {
  /** How long a new endpoint takes to reach full weight. 0 disables slow start. Default 10 s. */
  readonly windowMs?: number;
  /** The share of its weight a brand-new endpoint starts with (0-1]. Default 0.1. */
  readonly minWeightFactor?: number;
  /** Steps per window: snapshots are rebuilt this often while an endpoint warms. Default 10. */
  readonly steps?: number;
}

/** Resolved slow start settings. */
export interface SlowStart {
  readonly windowMs: number;
  readonly minWeightFactor: number;
  readonly stepMs: number;
}

export function resolveSlowStart(options: SlowStartOptions = {}): SlowStart {
  const windowMs = Math.max(0, options.windowMs ?? 10_000);
  const minWeightFactor = Math.min(1, Math.max(0.001, options.minWeightFactor ?? 0.1));
  const steps = Math.max(1, Math.floor(options.steps ?? 10));
  return { windowMs, minWeightFactor, stepMs: windowMs / steps };
}

/**
 * The weight factor of an endpoint of age `ageMs`: linear from `minWeightFactor` to 1
 * over the window, quantized to steps so that snapshots change a bounded number of times.
 */
export function warmUpFactor(slowStart: SlowStart, ageMs: number): number {
  if (slowStart.windowMs === 0 || ageMs >= slowStart.windowMs) return 1;
  const stepped = Math.floor(Math.max(0, ageMs) / slowStart.stepMs) * slowStart.stepMs;
  const progress = stepped / slowStart.windowMs;
  return slowStart.minWeightFactor + (1 - slowStart.minWeightFactor) * progress;
}

/** When the factor of an endpoint added at `addedAt` next changes (monotonic ms), or Infinity. */
export function nextWarmUpStep(slowStart: SlowStart, addedAt: number, now: number): number {
  if (slowStart.windowMs === 0) return Number.POSITIVE_INFINITY;
  const age = now - addedAt;
  if (age >= slowStart.windowMs) return Number.POSITIVE_INFINITY;
  return addedAt + (Math.floor(Math.max(0, age) / slowStart.stepMs) + 1) * slowStart.stepMs;
}
