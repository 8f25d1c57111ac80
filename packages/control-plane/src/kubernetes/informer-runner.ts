/**
 * Runs one watched kind through runtime's RestartableInformer (which restarts client-node's
 * informer after every watch error, with backoff, honouring Retry-After) and hands its changes
 * on as source events, batched per tick. Lists and watches go through kube-client, which strips
 * the fields the model never reads and caps event sizes.
 */
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { Clock, Random } from '@weft/core';
import type { Logger } from '@weft/runtime';
import { RestartableInformer, type ScheduledRetry } from '@weft/runtime/informer';
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
  /** Ceiling of the first restart's wait (default 500 ms); doubles per consecutive error up to `maxBackoffMs`. */
  readonly baseBackoffMs?: number;
  /**
   * The ceiling of any wait (default 4 s): after an outage of any length the informer is back
   * within 4 s of the API server's return.
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

interface ListObject {
  metadata?: { resourceVersion?: string };
  items?: Record<string, unknown>[];
}

export class InformerRunner {
  private readonly informer: RestartableInformer<KubernetesObject>;
  private readonly apiVersion: string;
  private pending: SourceEvent[] = [];
  private flushScheduled = false;
  private stopped = false;

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
      return { ...body, items };
    };
    // A watch that opened means the API server answers again (events count by themselves).
    const watch = new KubeWatch(
      kubeConfig,
      { opened: () => this.informer.answered() },
      strip,
      watched.fieldSelector === undefined ? undefined : { fieldSelector: watched.fieldSelector },
    );
    this.informer = new RestartableInformer<KubernetesObject>({
      path,
      list: list as never,
      watch,
      clock: options.clock,
      random: options.random,
      logger: options.logger.child({ kind: watched.kind, version }),
      ...(options.baseBackoffMs === undefined ? {} : { baseBackoffMs: options.baseBackoffMs }),
      ...(options.maxBackoffMs === undefined ? {} : { maxBackoffMs: options.maxBackoffMs }),
      ...(options.maxRetryAfterMs === undefined ? {} : { maxRetryAfterMs: options.maxRetryAfterMs }),
      retryAfterMs: (err) => (err instanceof KubeApiError ? err.retryAfterMs : undefined),
      onListed: () => this.flush(),
      onRestartScheduled: () => {
        this.flush();
        options.metrics.sourceErrors.inc({ source: 'kubernetes', reason: 'watch' });
      },
    });
    this.informer.on('add', (obj) => this.push('upsert', obj));
    this.informer.on('update', (obj) => this.push('upsert', obj));
    this.informer.on('delete', (obj) => this.push('delete', obj));
  }

  get kind(): string {
    return this.options.watched.kind;
  }

  /** True once the first list has been delivered. */
  get synced(): boolean {
    return this.informer.synced;
  }

  /** Resolves after the first successful list has been delivered. */
  whenSynced(): Promise<void> {
    return this.informer.whenSynced();
  }

  /** Restarts after errors so far (for tests and /debug/state). */
  get restarts(): number {
    return this.informer.restarts;
  }

  get lastError(): string | undefined {
    return this.informer.lastError;
  }

  /** The wait before the latest scheduled restart, in ms (for tests and /debug/state). */
  get lastRetryDelayMs(): number | undefined {
    return this.informer.lastRetryDelayMs;
  }

  /** The latest restarts scheduled (at most runtime's RECENT_RETRIES), oldest first, for /debug/state. */
  get recentRetries(): readonly ScheduledRetry[] {
    return this.informer.recentRetries;
  }

  /** Consecutive failed attempts since the API server last answered. */
  get consecutiveFailures(): number {
    return this.informer.consecutiveFailures;
  }

  start(): void {
    this.stopped = false;
    void this.informer.start();
  }

  stop(): void {
    this.stopped = true;
    void this.informer.stop();
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
