/**
 * Kubernetes mode: writes the Gateway API status the gateway translation wants (GatewayClass,
 * Gateway with its listeners, route parents of weft.dev/gateway). Each write reads the object,
 * merges (keeping other controllers' route parents and unchanged lastTransitionTimes), skips
 * an unchanged status, and replaces the status subresource guarded by resourceVersion (a
 * conflict is read and merged again). Queued per resource, latest wins; only the leader writes.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { type Clock, describeError, type Logger, silentLogger, systemClock } from '@weft/core';
import type { GatewayStatusChange } from '../gateway/gateway-model.js';
import { canonicalJson, mergeStatus } from '../gateway/status-merge.js';
import type { ControlPlaneMetrics } from '../metrics.js';
import type { StoredResource } from '../model/mesh-state.js';
import { formatRef, type ResourceRef, refKey } from '../sources/config-source.js';
import { KubeApiError, kubeRequest } from './kube-client.js';
import { WATCHED_KINDS } from './watched-kinds.js';

const MAX_ATTEMPTS = 5;

export interface GatewayStatusWriterOptions {
  readonly kubeConfig: KubeConfig;
  readonly metrics: ControlPlaneMetrics;
  /** The stored resource (its apiVersion and source). */
  readonly lookup: (ref: ResourceRef) => StoredResource | undefined;
  readonly logger?: Logger;
  readonly clock?: Clock;
  /** Asked before every write: only the leader writes (default: always). */
  readonly canWrite?: () => boolean;
}

export class GatewayStatusWriter {
  private readonly queue = new Map<string, GatewayStatusChange>();
  private readonly attempts = new Map<string, number>();
  private running = false;
  private idleWaiters: (() => void)[] = [];
  private readonly logger: Logger;
  private readonly clock: Clock;
  /** Writes skipped because the stored status already was the wanted one (for tests). */
  unchanged = 0;

  constructor(private readonly options: GatewayStatusWriterOptions) {
    this.logger = options.logger ?? silentLogger();
    this.clock = options.clock ?? systemClock;
  }

  report(changes: readonly GatewayStatusChange[]): void {
    if (!this.mayWrite()) return;
    for (const c of changes) {
      if (this.options.lookup(c.ref)?.origin.source !== 'kubernetes') continue;
      this.queue.set(refKey(c.ref), c);
    }
    if (!this.running && this.queue.size > 0) void this.drain();
  }

  /** Resolves when every queued write has been attempted. */
  idle(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private mayWrite(): boolean {
    return this.options.canWrite?.() ?? true;
  }

  private async drain(): Promise<void> {
    this.running = true;
    while (this.queue.size > 0) {
      if (!this.mayWrite()) {
        this.queue.clear();
        this.attempts.clear();
        break;
      }
      const [key, change] = this.queue.entries().next().value as [string, GatewayStatusChange];
      this.queue.delete(key);
      try {
        await this.write(change);
        this.attempts.delete(key);
      } catch (err) {
        const conflict = err instanceof KubeApiError && err.statusCode === 409;
        const gone = err instanceof KubeApiError && err.statusCode === 404;
        const attempt = (this.attempts.get(key) ?? 0) + 1;
        const retry = attempt < MAX_ATTEMPTS && !gone;
        if (!conflict)
          this.options.metrics.sourceErrors.inc({ source: 'kubernetes', reason: 'status-write' });
        this.logger.warn(
          { resource: formatRef(change.ref), err: describeError(err), attempt, retry },
          'writing gateway status failed',
        );
        if (!retry) this.attempts.delete(key);
        else {
          this.attempts.set(key, attempt);
          // A conflict is read and merged again at once; other errors back off.
          if (conflict && !this.queue.has(key)) this.queue.set(key, change);
          else
            this.clock.setTimeout(
              () => {
                if (!this.queue.has(key)) this.report([change]);
              },
              1000 * 2 ** (attempt - 1),
            );
        }
      }
    }
    this.running = false;
    for (const w of this.idleWaiters.splice(0)) w();
  }

  private async write(change: GatewayStatusChange): Promise<void> {
    const { ref } = change;
    const stored = this.options.lookup(ref);
    const watched = WATCHED_KINDS.find((w) => w.kind === ref.kind);
    const apiVersion = stored?.origin.apiVersion;
    if (watched === undefined || apiVersion === undefined) return;
    const base = `/apis/${apiVersion}`;
    const path =
      ref.namespace === ''
        ? `${base}/${watched.plural}/${encodeURIComponent(ref.name)}`
        : `${base}/namespaces/${encodeURIComponent(ref.namespace)}/${watched.plural}/${encodeURIComponent(ref.name)}`;
    const current = (await kubeRequest(this.options.kubeConfig, { method: 'GET', path })) as {
      metadata?: { generation?: number };
      status?: unknown;
    };
    const now = new Date(this.clock.now()).toISOString().replace(/\.\d+Z$/, 'Z');
    const next = mergeStatus(ref.kind, change.status, current.status, current.metadata?.generation, now);
    if (canonicalJson(next) === canonicalJson(current.status ?? {})) {
      this.unchanged++;
      return;
    }
    await kubeRequest(this.options.kubeConfig, {
      method: 'PUT',
      path: `${path}/status`,
      body: { ...current, status: next },
    });
  }
}
