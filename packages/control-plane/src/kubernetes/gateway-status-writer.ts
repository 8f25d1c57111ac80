/**
 * Kubernetes mode: writes the Gateway API status the gateway translation wants (GatewayClass,
 * Gateway with its listeners, route parents of weft.dev/gateway). Each write reads the object,
 * merges (keeping other controllers' route parents and unchanged lastTransitionTimes), skips
 * an unchanged status, and replaces the status subresource guarded by resourceVersion (a
 * conflict is read and merged again). Queued per resource, latest wins; only the leader writes.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { type Clock, systemClock } from '@weft/core';
import { type Logger, silentLogger } from '@weft/runtime';
import type { GatewayStatusChange } from '../gateway/gateway-model.js';
import { canonicalJson, mergeStatus } from '../gateway/status-merge.js';
import type { ControlPlaneMetrics } from '../metrics.js';
import type { StoredResource } from '../model/mesh-state.js';
import type { ResourceRef } from '../sources/config-source.js';
import { kubeRequest } from './kube-client.js';
import { StatusWriteQueue } from './status-write-queue.js';
import { WATCHED_KINDS } from './watched-kinds.js';

/** What a writer of the gateway translation's results (status, Ingress Events) needs. */
export interface GatewayStatusWriterOptions {
  readonly kubeConfig: KubeConfig;
  readonly metrics: ControlPlaneMetrics;
  /** The stored resource (its apiVersion, uid, resourceVersion and source). */
  readonly lookup: (ref: ResourceRef) => StoredResource | undefined;
  readonly logger?: Logger;
  readonly clock?: Clock;
  /** Asked before every write: only the leader writes (default: always). */
  readonly canWrite?: () => boolean;
}

export class GatewayStatusWriter {
  private readonly queue: StatusWriteQueue<GatewayStatusChange>;
  private readonly clock: Clock;
  /** Writes skipped because the stored status already was the wanted one (for tests). */
  unchanged = 0;

  constructor(private readonly options: GatewayStatusWriterOptions) {
    this.clock = options.clock ?? systemClock;
    this.queue = new StatusWriteQueue({
      accepts: (c) => options.lookup(c.ref)?.origin.source === 'kubernetes',
      write: (c) => this.write(c),
      metrics: options.metrics,
      logger: options.logger ?? silentLogger(),
      clock: this.clock,
      failureMessage: 'writing gateway status failed',
      retryDelayMs: (attempt) => 1000 * 2 ** (attempt - 1),
      conflictRetriesAtOnce: true,
      ...(options.canWrite === undefined ? {} : { canWrite: options.canWrite }),
    });
  }

  report(changes: readonly GatewayStatusChange[]): void {
    this.queue.report(changes);
  }

  /** Resolves when every queued write has been attempted. */
  idle(): Promise<void> {
    return this.queue.idle();
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
