/** When a workload renews its certificate: at 50% of its remaining lifetime, ±10 percentage points. */
import type { Random } from '@weft/core';

/** Inputs of {@link rotationDelayMs}. */
export interface RotationInput {
  readonly notBefore: number;
  readonly notAfter: number;
  /** When the certificate arrived (ms since the epoch). */
  readonly now: number;
  readonly random: Random;
  /** Fraction of the lifetime after which to renew (default 0.5). */
  readonly fraction?: number;
  /** Spread around `fraction`, in lifetime fractions (default 0.1: renew between 40% and 60%). */
  readonly jitter?: number;
}

/**
 * Milliseconds from `now` until renewal. The lifetime is counted from max(notBefore, now) so that
 * notBefore backdating does not pull renewal forward. Never negative.
 */
export function rotationDelayMs(input: RotationInput): number {
  const start = Math.max(input.notBefore, input.now);
  const lifetime = Math.max(0, input.notAfter - start);
  const fraction = input.fraction ?? 0.5;
  const spread = input.jitter ?? 0.1;
  const at = fraction - spread + 2 * spread * input.random.next();
  return Math.max(0, Math.round(start + lifetime * at - input.now));
}
