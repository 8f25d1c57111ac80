/**
 * The bounded, coalescing outbound queue of one discovery stream. Updates are kept by resource
 * name, so the latest state wins; a stream whose transport stays blocked for too many rounds,
 * or with too many distinct names waiting, overflows and is closed by its owner.
 */
import type { Resource } from '@weft/api';

/** An upsert, or the removal of a name. */
export type QueuedUpdate =
  | { readonly type: 'upsert'; readonly resource: Resource }
  | { readonly type: 'remove' };

/** One response's worth of updates, taken off the queue. */
export interface Batch {
  readonly resources: Resource[];
  readonly removed: string[];
  /** Monotonic time of the oldest change in the batch (for push latency). */
  readonly since: number;
}

export interface PushQueueOptions {
  /** Distinct names that may wait; beyond it the queue overflows. */
  readonly maxPendingNames: number;
  /** Rounds of new updates that may arrive while the transport is blocked. */
  readonly maxBlockedRounds: number;
}

export type EnqueueResult = 'flush' | 'wait' | 'overflow';

export class PushQueue {
  private readonly pending = new Map<string, QueuedUpdate>();
  private since = Number.POSITIVE_INFINITY;
  private blocked = false;
  private blockedRounds = 0;

  constructor(private readonly options: PushQueueOptions) {}

  /** Number of names waiting. */
  get size(): number {
    return this.pending.size;
  }

  /**
   * Adds one round of updates (a later update of a name replaces an earlier one). Returns
   * 'flush' when the caller should take a batch now, 'wait' when the transport is blocked, and
   * 'overflow' when the stream cannot keep up.
   */
  enqueue(updates: ReadonlyMap<string, QueuedUpdate>, now: number): EnqueueResult {
    if (updates.size === 0) return this.blocked ? 'wait' : 'flush';
    for (const [name, u] of updates) this.pending.set(name, u);
    if (now < this.since) this.since = now;
    if (this.pending.size > this.options.maxPendingNames) return 'overflow';
    if (!this.blocked) return 'flush';
    this.blockedRounds++;
    return this.blockedRounds > this.options.maxBlockedRounds ? 'overflow' : 'wait';
  }

  /** Takes everything waiting as one batch, or undefined when nothing waits or the transport is blocked. */
  take(): Batch | undefined {
    if (this.blocked || this.pending.size === 0) return undefined;
    const resources: Resource[] = [];
    const removed: string[] = [];
    for (const [name, u] of this.pending) {
      if (u.type === 'upsert') resources.push(u.resource);
      else removed.push(name);
    }
    const batch = { resources, removed, since: this.since };
    this.pending.clear();
    this.since = Number.POSITIVE_INFINITY;
    return batch;
  }

  /** The transport refused more (write returned false). */
  block(): void {
    this.blocked = true;
  }

  /** The transport drained. */
  unblock(): void {
    this.blocked = false;
    this.blockedRounds = 0;
  }
}
