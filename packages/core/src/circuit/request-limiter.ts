/** Circuit limits: a cap on active requests with a bounded queue of pending ones; beyond it, fail fast. */
import { WeftError } from '../errors.js';

/** Limits settings (TrafficPolicy `limits`). */
export interface RequestLimits {
  /** Requests allowed in flight at once. */
  readonly maxRequests: number;
  /** Requests allowed to wait for a slot; 0 means reject at once when full. */
  readonly maxPendingRequests: number;
}

/** Why a request was refused; the proxy answers 503 with this in the body. */
export type LimitRejection = 'queue-full' | 'aborted';

/** A held slot; `release` frees it (extra calls do nothing). */
export interface Permit {
  release(): void;
}

export type AcquireResult =
  | { readonly type: 'admitted'; readonly permit: Permit }
  | { readonly type: 'rejected'; readonly reason: LimitRejection; readonly message: string };

interface Waiter {
  resolve: (result: AcquireResult) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/**
 * A semaphore with a bounded FIFO queue (Envoy's max_requests and max_pending_requests;
 * `maxConnections` uses the same class with no queue). The fast path is synchronous.
 */
export class RequestLimiter {
  private active = 0;
  private readonly queue: Waiter[] = [];
  /** Requests refused because the queue was full (for metrics). */
  rejected = 0;

  /** Throws WeftError INVALID_CONFIG for a limit below its minimum, naming the field. */
  constructor(private readonly limits: RequestLimits) {
    if (!Number.isInteger(limits.maxRequests) || limits.maxRequests < 1) {
      throw new WeftError('INVALID_CONFIG', 'limits.maxRequests: must be an integer >= 1');
    }
    if (!Number.isInteger(limits.maxPendingRequests) || limits.maxPendingRequests < 0) {
      throw new WeftError('INVALID_CONFIG', 'limits.maxPendingRequests: must be an integer >= 0');
    }
  }

  /** Requests holding a slot. */
  get inflight(): number {
    return this.active;
  }

  /** Requests waiting for a slot. */
  get pending(): number {
    return this.queue.length;
  }

  /** Takes a slot now if one is free, else queues if there is room, else rejects at once. */
  tryAcquire(): AcquireResult | undefined {
    if (this.active < this.limits.maxRequests) {
      this.active++;
      return { type: 'admitted', permit: this.permit() };
    }
    if (this.queue.length >= this.limits.maxPendingRequests) {
      this.rejected++;
      return {
        type: 'rejected',
        reason: 'queue-full',
        message: `circuit open: ${this.active} requests active and ${this.queue.length} pending (limits ${this.limits.maxRequests}/${this.limits.maxPendingRequests})`,
      };
    }
    return undefined;
  }

  /** Waits for a slot (FIFO), unless rejected at once or `signal` aborts first. */
  acquire(signal?: AbortSignal): Promise<AcquireResult> {
    const now = this.tryAcquire();
    if (now !== undefined) return Promise.resolve(now);
    if (signal?.aborted) return Promise.resolve(aborted());
    return new Promise((resolve) => {
      const waiter: Waiter = { resolve, signal, onAbort: undefined };
      if (signal !== undefined) {
        waiter.onAbort = () => {
          const i = this.queue.indexOf(waiter);
          if (i >= 0) this.queue.splice(i, 1);
          resolve(aborted());
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.queue.push(waiter);
    });
  }

  private permit(): Permit {
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        const next = this.queue.shift();
        if (next === undefined) {
          this.active--;
          return;
        }
        if (next.onAbort !== undefined) next.signal?.removeEventListener('abort', next.onAbort);
        next.resolve({ type: 'admitted', permit: this.permit() }); // the slot passes on
      },
    };
  }
}

function aborted(): AcquireResult {
  return { type: 'rejected', reason: 'aborted', message: 'request aborted while waiting for a slot' };
}
