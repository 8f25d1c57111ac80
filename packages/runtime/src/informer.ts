/**
 * A client-node informer that keeps running: client-node re-lists by itself after 410 Gone but
 * stops on any other watch or list error, so every error restarts it after a full-jitter
 * exponential backoff (runtime's Backoff). The backoff resets whenever the API server answers
 * again (a list, an opened watch, any watch event), and an error carrying the server's
 * `Retry-After` (429/503) waits that long (capped) instead, without growing the backoff.
 */
import {
  type KubeConfig,
  type KubernetesObject,
  type ListPromise,
  ListWatch,
  type ObjectCallback,
  Watch,
} from '@kubernetes/client-node';
import { type Clock, describeError, type Random } from '@weft/core';
import { Backoff } from './backoff.js';
import type { Logger } from './logging.js';

/** One scheduled restart: when (the clock's monotonic ms), how long it waits, and why that long. */
export interface ScheduledRetry {
  readonly atMs: number;
  readonly delayMs: number;
  readonly reason: 'backoff' | 'retry-after';
}

/** Scheduled restarts an informer remembers. */
export const RECENT_RETRIES = 16;

/** Defaults of {@link RestartableInformerOptions}. */
export const INFORMER_BACKOFF_DEFAULTS = { baseBackoffMs: 500, maxBackoffMs: 4_000, maxRetryAfterMs: 10_000 };

type WatchCallback = Parameters<Watch['watch']>[2];
type WatchDone = Parameters<Watch['watch']>[3];

/** Options of {@link RestartableInformer}. */
export interface RestartableInformerOptions<T extends KubernetesObject> {
  /** The collection's path, e.g. `/api/v1/namespaces`. */
  readonly path: string;
  /** Lists the collection: the first step, and again after 410 Gone. */
  readonly list: ListPromise<T>;
  /** Watches only objects with these labels (the list must apply the same selector). */
  readonly labelSelector?: string;
  /**
   * Where watches go: client-node's Watch on this config, which reports an opened watch by
   * resolving without an error. Give `watch` instead to use another Watch.
   */
  readonly kubeConfig?: KubeConfig;
  /**
   * A Watch of the caller's (e.g. one that caps event sizes). Its events reset the backoff; its
   * owner calls {@link RestartableInformer.answered} when a watch opens.
   */
  readonly watch?: Watch;
  readonly clock: Clock;
  readonly random: Random;
  /** Logs restarts and the first sync; give it the fields that name the informer. */
  readonly logger: Logger;
  /** Ceiling of the first restart's wait (default 500 ms); doubles per consecutive error up to `maxBackoffMs`. */
  readonly baseBackoffMs?: number;
  /**
   * The ceiling of any wait (default 4 s): after an outage of any length the informer is back
   * within 4 s of the API server's return.
   */
  readonly maxBackoffMs?: number;
  /** The longest `Retry-After` honoured (default 10 s); a longer one waits this long. */
  readonly maxRetryAfterMs?: number;
  /** The server's `Retry-After` (ms) an error carries, if any. */
  readonly retryAfterMs?: (err: unknown) => number | undefined;
  /** After every successful list, once its objects were handed to the event callbacks. */
  readonly onListed?: () => void;
  /** After every error, with the restart it scheduled (for metrics). */
  readonly onRestartScheduled?: (retry: ScheduledRetry, err: unknown) => void;
}

/**
 * Owns one ListWatch and its restarts. Callers subscribe with `on()` before `start()`, read the
 * cache with `get()`, and expose the counters below on their debug pages.
 */
export class RestartableInformer<T extends KubernetesObject> {
  private readonly informer: ListWatch<T>;
  private readonly backoff: Backoff;
  private stopped = false;
  private syncedFlag = false;
  private answeredSinceError = false;
  private syncWaiters: (() => void)[] = [];
  /** Restarts after errors so far. */
  restarts = 0;
  lastError: string | undefined;
  /** The wait before the latest scheduled restart, in ms. */
  lastRetryDelayMs: number | undefined;
  /** The latest restarts scheduled (at most {@link RECENT_RETRIES}), oldest first. */
  readonly recentRetries: ScheduledRetry[] = [];

  constructor(private readonly options: RestartableInformerOptions<T>) {
    const d = INFORMER_BACKOFF_DEFAULTS;
    this.backoff = new Backoff({
      baseMs: options.baseBackoffMs ?? d.baseBackoffMs,
      maxMs: options.maxBackoffMs ?? d.maxBackoffMs,
      clock: options.clock,
      random: options.random,
    });
    const list: ListPromise<T> = async () => {
      const result = await options.list();
      // ListWatch hands the items to the callbacks after this resolves; report the list after them.
      setImmediate(() => this.listed());
      return result;
    };
    const config = options.watch?.config ?? options.kubeConfig;
    if (config === undefined) throw new RangeError('RestartableInformer: give kubeConfig or watch');
    const watch = new AnsweringWatch(
      config,
      options.watch ?? new Watch(config),
      options.watch === undefined,
      () => this.answered(),
    );
    this.informer = new ListWatch<T>(options.path, watch, list, false, options.labelSelector);
    this.informer.on('error', (err: unknown) => this.failed(err));
  }

  /** Subscribes to cache changes (before `start()`, so the first list is seen). */
  on(verb: 'add' | 'update' | 'delete', callback: ObjectCallback<T>): void {
    this.informer.on(verb, callback);
  }

  /** The cached object, if the informer holds it. */
  get(name: string, namespace?: string): T | undefined {
    return this.informer.get(name, namespace);
  }

  /** True once the first list has been delivered (stays true through later errors). */
  get synced(): boolean {
    return this.syncedFlag;
  }

  /** True when the API server has answered (list, opened watch, event) since the last error. */
  get connected(): boolean {
    return this.answeredSinceError;
  }

  /** Consecutive failed attempts since the API server last answered. */
  get consecutiveFailures(): number {
    return this.backoff.failures;
  }

  /** Resolves after the first successful list has been delivered. */
  whenSynced(): Promise<void> {
    if (this.syncedFlag) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  /** Starts (or restarts) the informer; resolves after the attempt (success or a scheduled restart). */
  async start(): Promise<void> {
    this.stopped = false;
    try {
      await this.informer.start();
    } catch (err) {
      this.failed(err);
    }
  }

  /** Stops the informer and any pending restart. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.backoff.cancel();
    await this.informer.stop().catch(() => undefined);
  }

  /** The API server answered (e.g. a custom watch opened): the next error waits the base again. */
  answered(): void {
    this.answeredSinceError = true;
    this.backoff.reset();
  }

  private listed(): void {
    if (this.stopped) return;
    this.options.onListed?.();
    this.answered();
    if (!this.syncedFlag) {
      this.syncedFlag = true;
      this.options.logger.info('informer synced');
      for (const w of this.syncWaiters.splice(0)) w();
    }
  }

  private failed(err: unknown): void {
    if (this.stopped) return;
    this.answeredSinceError = false;
    this.lastError = describeError(err);
    const restart = () => {
      if (this.stopped) return;
      this.restarts++;
      void this.start();
    };
    const retryAfter = this.options.retryAfterMs?.(err);
    let retry: ScheduledRetry;
    if (retryAfter !== undefined) {
      // Honour the server (capped), up to 20% later so that replicas spread out.
      const wait = Math.min(
        retryAfter,
        this.options.maxRetryAfterMs ?? INFORMER_BACKOFF_DEFAULTS.maxRetryAfterMs,
      );
      const delayMs = this.backoff.retryAfter(wait * (1 + 0.2 * this.options.random.next()), restart);
      retry = { atMs: this.options.clock.monotonic(), delayMs, reason: 'retry-after' };
    } else {
      const delayMs = this.backoff.retry(restart);
      retry = { atMs: this.options.clock.monotonic(), delayMs, reason: 'backoff' };
    }
    this.lastRetryDelayMs = retry.delayMs;
    this.recentRetries.push(retry);
    if (this.recentRetries.length > RECENT_RETRIES) this.recentRetries.shift();
    this.options.onRestartScheduled?.(retry, err);
    this.options.logger.warn(
      { err: this.lastError, retryInMs: Math.round(retry.delayMs), reason: retry.reason },
      'watch failed; restarting the informer',
    );
  }
}

/**
 * The Watch ListWatch drives: passes every event on and counts it as an answer. With
 * client-node's own Watch (`opensOnResolve`), a watch call that resolves without having reported
 * an error opened: it resolves after the response headers, reporting a refusal through `done`.
 */
class AnsweringWatch extends Watch {
  constructor(
    config: KubeConfig,
    private readonly inner: Watch,
    private readonly opensOnResolve: boolean,
    private readonly onAnswer: () => void,
  ) {
    super(config);
  }

  override async watch(
    path: string,
    query: Record<string, string | number | boolean | undefined>,
    callback: WatchCallback,
    done: WatchDone,
  ): Promise<AbortController> {
    let ended = false;
    const controller = await this.inner.watch(
      path,
      query,
      (phase, object, raw) => {
        this.onAnswer();
        callback(phase, object, raw);
      },
      (err) => {
        ended = true;
        done(err);
      },
    );
    if (this.opensOnResolve && !ended) this.onAnswer();
    return controller;
  }
}
