/**
 * Runs one client-node informer and keeps it running: client-node re-lists by itself after
 * 410 Gone but stops on any other watch error, so every error restarts it after a jittered,
 * exponential backoff. The backoff resets whenever the API server answers again (a list, an
 * opened watch, any watch event), and a 429/503 waits the server's `Retry-After` (capped) instead.
 * Events are batched per tick and handed on as source events.
 */
import { type KubeConfig, type KubernetesObject, ListWatch } from '@kubernetes/client-node';
import { type Clock, describeError, jitter, type Logger, type Random, type TimerHandle } from '@weft/core';
import type { ControlPlaneMetrics } from '../metrics.js';
import { refOf } from '../model/resource-parse.js';
import type { SourceEvent } from '../sources/config-source.js';
import { KubeApiError, kubeRequest } from './kube-client.js';
import { KubeWatch } from './kube-watch.js';
import { stripUnusedFields } from './strip-fields.js';
import { apiVersionOf, collectionPath, selectedPath, type WatchedKind } from './watched-kinds.js';

export interface InformerRunnerOptions {
  readonly kubeConfig: KubeConfig;
  readonly watched: WatchedKind;
  readonly version: string;
  readonly onEvents: (events: SourceEvent[]) => void;
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: Logger;
  readonly metrics: ControlPlaneMetrics;
  /** Backoff after the first error (default 500 ms); doubles per consecutive error up to `maxBackoffMs`. */
  readonly baseBackoffMs?: number;
  /**
   * The longest backoff (default 4 s, 4.8 s with jitter): after an outage of any length the
   * informer is back within about 5 s of the API server's return.
   */
  readonly maxBackoffMs?: number;
  /** The longest `Retry-After` honoured (default 10 s); a longer one waits this long. */
  readonly maxRetryAfterMs?: number;
  /**
   * Drop the fields the model never reads before caching (default true; see strip-fields.ts).
   * False only to measure the difference (`npm run bench:informer-memory`).
   */
  readonly stripFields?: boolean;
}

/** One scheduled restart: when (the clock's monotonic ms), how long it waits, and why that long. */
export interface ScheduledRetry {
  readonly atMs: number;
  readonly delayMs: number;
  readonly reason: 'backoff' | 'retry-after';
}

/** Scheduled restarts an informer remembers. */
export const RECENT_RETRIES = 16;

/** Defaults of {@link InformerRunnerOptions}. */
export const INFORMER_BACKOFF_DEFAULTS = { baseBackoffMs: 500, maxBackoffMs: 4_000, maxRetryAfterMs: 10_000 };

interface ListObject {
  metadata?: { resourceVersion?: string };
  items?: Record<string, unknown>[];
}

export class InformerRunner {
  private readonly informer;
  private readonly apiVersion: string;
  private pending: SourceEvent[] = [];
  private flushScheduled = false;
  private failures = 0;
  private timer: TimerHandle | undefined;
  private stopped = false;
  private syncedFlag = false;
  private syncWaiters: (() => void)[] = [];
  /** Restarts after errors so far (for tests and /debug/state). */
  restarts = 0;
  lastError: string | undefined;
  /** The wait before the latest scheduled restart, in ms (for tests and /debug/state). */
  lastRetryDelayMs: number | undefined;
  /** The latest restarts scheduled (at most {@link RECENT_RETRIES}), oldest first, for /debug/state. */
  readonly recentRetries: ScheduledRetry[] = [];

  constructor(private readonly options: InformerRunnerOptions) {
    const { watched, version, kubeConfig } = options;
    this.apiVersion = apiVersionOf(watched.group, version);
    const path = collectionPath(watched.group, version, watched.plural);
    const strip =
      options.stripFields === false
        ? undefined
        : (object: Record<string, unknown>) => stripUnusedFields(watched.kind, object);
    const list = async (): Promise<ListObject> => {
      const body = (await kubeRequest(kubeConfig, {
        method: 'GET',
        path: selectedPath(watched, version),
      })) as ListObject;
      // List items carry no apiVersion/kind; watch events do. Make them alike.
      const items = (body.items ?? []).map((item) => {
        const object = { apiVersion: this.apiVersion, kind: watched.kind, ...item };
        return strip === undefined ? object : strip(object);
      });
      setImmediate(() => this.listed());
      return { ...body, items };
    };
    // A successful watch (opened, or carrying any event) means the API server answers again.
    const watch = new KubeWatch(
      kubeConfig,
      { opened: () => this.answered(), event: () => this.answered() },
      strip,
      watched.fieldSelector === undefined ? undefined : { fieldSelector: watched.fieldSelector },
    );
    this.informer = new ListWatch<KubernetesObject>(path, watch, list as never, false);
    this.informer.on('add', (obj) => this.push('upsert', obj));
    this.informer.on('update', (obj) => this.push('upsert', obj));
    this.informer.on('delete', (obj) => this.push('delete', obj));
    this.informer.on('error', (err: unknown) => this.failed(err));
  }

  get kind(): string {
    return this.options.watched.kind;
  }

  /** True once the first list has been delivered. */
  get synced(): boolean {
    return this.syncedFlag;
  }

  /** Resolves after the first successful list has been delivered. */
  whenSynced(): Promise<void> {
    if (this.syncedFlag) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  start(): void {
    this.stopped = false;
    this.informer.start().catch((err: unknown) => this.failed(err));
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.informer.stop().catch(() => undefined);
  }

  /** Consecutive failed attempts since the API server last answered. */
  get consecutiveFailures(): number {
    return this.failures;
  }

  private answered(): void {
    this.failures = 0;
  }

  private listed(): void {
    this.flush();
    this.answered();
    if (!this.syncedFlag) {
      this.syncedFlag = true;
      this.options.logger.info({ kind: this.kind, version: this.options.version }, 'informer synced');
      for (const w of this.syncWaiters.splice(0)) w();
    }
  }

  private failed(err: unknown): void {
    if (this.stopped) return;
    this.flush();
    this.lastError = describeError(err);
    const { delay, reason } = this.retryDelay(err);
    this.lastRetryDelayMs = delay;
    this.recentRetries.push({ atMs: this.options.clock.monotonic(), delayMs: delay, reason });
    if (this.recentRetries.length > RECENT_RETRIES) this.recentRetries.shift();
    this.options.metrics.sourceErrors.inc({ source: 'kubernetes', reason: 'watch' });
    this.options.logger.warn(
      { kind: this.kind, err: this.lastError, retryInMs: Math.round(delay) },
      'watch failed; restarting the informer',
    );
    this.timer?.cancel();
    this.timer = this.options.clock.setTimeout(() => {
      if (this.stopped) return;
      this.restarts++;
      this.start();
    }, delay);
  }

  /**
   * How long to wait before restarting: the server's Retry-After on a 429/503 (capped, up to 20%
   * later so that replicas spread out; it does not grow the backoff), else the exponential backoff.
   */
  private retryDelay(err: unknown): { delay: number; reason: ScheduledRetry['reason'] } {
    const d = INFORMER_BACKOFF_DEFAULTS;
    const { baseBackoffMs = d.baseBackoffMs, maxBackoffMs = d.maxBackoffMs } = this.options;
    if (err instanceof KubeApiError && err.retryAfterMs !== undefined) {
      const wait = Math.min(err.retryAfterMs, this.options.maxRetryAfterMs ?? d.maxRetryAfterMs);
      return { delay: wait * (1 + 0.2 * this.options.random.next()), reason: 'retry-after' };
    }
    this.failures++;
    const backoff = Math.min(maxBackoffMs, baseBackoffMs * 2 ** Math.min(this.failures - 1, 16));
    return { delay: jitter(backoff, 0.2, this.options.random), reason: 'backoff' };
  }

  private push(type: 'upsert' | 'delete', obj: KubernetesObject): void {
    const object = { apiVersion: this.apiVersion, kind: this.kind, ...obj } as Record<string, unknown>;
    // managedFields can be most of an object's size and weft never reads them.
    if (obj.metadata?.managedFields !== undefined)
      object.metadata = { ...obj.metadata, managedFields: undefined };
    const r = refOf(object, 'default');
    if (r.type !== 'ref') return;
    if (type === 'delete') this.pending.push({ type: 'delete', ref: r.ref });
    else {
      const meta = obj.metadata ?? {};
      this.pending.push({
        type: 'upsert',
        ref: r.ref,
        object,
        origin: {
          source: 'kubernetes',
          apiVersion: String(object.apiVersion),
          ...(meta.resourceVersion === undefined ? {} : { resourceVersion: meta.resourceVersion }),
          ...(meta.uid === undefined ? {} : { uid: meta.uid }),
          ...(typeof meta.generation === 'number' ? { generation: meta.generation } : {}),
        },
      });
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.pending.length === 0 || this.stopped) return;
    const events = this.pending;
    this.pending = [];
    this.options.onEvents(events);
  }
}
