/**
 * The write queue both Kubernetes status writers (status-writer.ts for conditions,
 * gateway-status-writer.ts for Gateway API status) run: one pending write per resource, latest
 * wins; writes one at a time, never blocking the model; only while this replica may write (a
 * lost leadership drops what is queued: the next leader writes what is current); a failed write
 * is logged, counted and retried a few times unless the resource is gone.
 */
import { type Clock, describeError } from '@weft/core';
import type { Logger } from '@weft/runtime';
import type { ControlPlaneMetrics } from '../metrics.js';
import { formatRef, type ResourceRef, refKey } from '../sources/config-source.js';
import { KubeApiError } from './kube-client.js';

/** Writes of one resource's status tried before giving up (until it is reported again). */
const MAX_ATTEMPTS = 5;

export interface StatusWriteQueueOptions<T extends { readonly ref: ResourceRef }> {
  /** Whether a reported item is written at all (say, only resources read from Kubernetes). */
  readonly accepts: (item: T) => boolean;
  /** Writes one item; throws a KubeApiError (or any error) when the write failed. */
  readonly write: (item: T) => Promise<void>;
  readonly metrics: ControlPlaneMetrics;
  readonly logger: Logger;
  readonly clock: Clock;
  /** The log message of a failed write. */
  readonly failureMessage: string;
  /** The wait before the retry after failed attempt number `attempt` (1 the first). */
  readonly retryDelayMs: (attempt: number) => number;
  /**
   * A 409 Conflict (another writer got there first) is not an error: the write is queued again
   * at once, to read and merge again. Default false: a conflict is a failure like any other.
   */
  readonly conflictRetriesAtOnce?: boolean;
  /** Asked before every write: only the leader writes (default: always). */
  readonly canWrite?: () => boolean;
}

export class StatusWriteQueue<T extends { readonly ref: ResourceRef }> {
  private readonly queue = new Map<string, T>();
  private readonly attempts = new Map<string, number>();
  private running = false;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly options: StatusWriteQueueOptions<T>) {}

  report(items: readonly T[]): void {
    if (!this.mayWrite()) return;
    for (const item of items) {
      if (this.options.accepts(item)) this.queue.set(refKey(item.ref), item);
    }
    if (!this.running && this.queue.size > 0) void this.drain();
  }

  /** Resolves when every queued write has been attempted (for tests and shutdown). */
  idle(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private mayWrite(): boolean {
    return this.options.canWrite?.() ?? true;
  }

  private async drain(): Promise<void> {
    const { options } = this;
    this.running = true;
    while (this.queue.size > 0) {
      if (!this.mayWrite()) {
        // Leadership lost: stop at once; the next leader writes what is current.
        this.queue.clear();
        this.attempts.clear();
        break;
      }
      const [key, item] = this.queue.entries().next().value as [string, T];
      this.queue.delete(key);
      try {
        await options.write(item);
        this.attempts.delete(key);
      } catch (err) {
        const conflict =
          options.conflictRetriesAtOnce === true && err instanceof KubeApiError && err.statusCode === 409;
        const gone = err instanceof KubeApiError && err.statusCode === 404;
        const attempt = (this.attempts.get(key) ?? 0) + 1;
        const retry = attempt < MAX_ATTEMPTS && !gone;
        if (!conflict) options.metrics.sourceErrors.inc({ source: 'kubernetes', reason: 'status-write' });
        options.logger.warn(
          { resource: formatRef(item.ref), err: describeError(err), attempt, retry },
          options.failureMessage,
        );
        if (!retry) this.attempts.delete(key);
        else {
          this.attempts.set(key, attempt);
          if (conflict && !this.queue.has(key)) this.queue.set(key, item);
          // Retry later unless a newer item for the resource is queued by then.
          else
            options.clock.setTimeout(() => {
              if (!this.queue.has(key)) this.report([item]);
            }, options.retryDelayMs(attempt));
        }
      }
    }
    this.running = false;
    for (const w of this.idleWaiters.splice(0)) w();
  }
}
