/**
 * Root sampling decided on the request path. The proxy draws its ratio decision before any
 * span exists (so that unsampled requests cost nothing); a root it decided to sample is
 * marked in the context, and the pipeline's sampler records marked roots as they are.
 */

import { randomFillSync } from 'node:crypto';
import { type Context, createContextKey } from '@opentelemetry/api';

const ROOT_SAMPLED = createContextKey('weft.root-sampled');

/** Marks `context` so the pipeline's root sampler records the span started with it. */
export function markRootSampled(context: Context): Context {
  return context.setValue(ROOT_SAMPLED, true);
}

/** True when {@link markRootSampled} marked `context`. */
export function isRootSampled(context: Context): boolean {
  return context.getValue(ROOT_SAMPLED) === true;
}

const POOL_SIZE = 4096;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let offset = POOL_SIZE;

function randomHex(bytes: number): string {
  for (;;) {
    if (offset + bytes > POOL_SIZE) {
      randomFillSync(pool);
      offset = 0;
    }
    const start = offset;
    offset += bytes;
    // All-zero ids are invalid in W3C trace context; draw again (probability 2^-64 or less).
    for (let i = start; i < start + bytes; i++)
      if (pool[i] !== 0) return pool.toString('hex', start, start + bytes);
  }
}

/**
 * A W3C `traceparent` for a new trace that is not sampled: the decision travels downstream so
 * that later hops do not start a partial trace of their own. Random ids from a pooled buffer.
 */
export function unsampledTraceparent(): string {
  return `00-${randomHex(16)}-${randomHex(8)}-00`;
}
