/**
 * Kubernetes mode: writes each resource's condition back — an `Accepted` condition with the
 * `observedGeneration` it describes in the status subresource (Gateway API style `status.parents`
 * for HTTPRoute) — and a Warning Event for every rejection. Writes are queued per resource (latest condition wins) and never block the model.
 */
import { createHash } from 'node:crypto';
import type { KubeConfig } from '@kubernetes/client-node';
import { type Clock, describeError, type Logger, silentLogger, systemClock } from '@weft/core';
import type { ControlPlaneMetrics } from '../metrics.js';
import type { ConditionChange, StoredResource } from '../model/mesh-state.js';
import { formatRef, refKey } from '../sources/config-source.js';
import type { StatusReporter } from '../status/status-reporter.js';
import { KubeApiError, kubeRequest } from './kube-client.js';
import { objectPath, WATCHED_KINDS } from './watched-kinds.js';

/** Writes of one resource's status tried before giving up (until its condition changes again). */
const MAX_ATTEMPTS = 5;

/** The controller name weft writes in HTTPRoute parent statuses. */
export const CONTROLLER_NAME = 'weft.dev/mesh';

export interface KubernetesStatusWriterOptions {
  readonly kubeConfig: KubeConfig;
  readonly metrics: ControlPlaneMetrics;
  readonly logger?: Logger;
  readonly clock?: Clock;
  /** Reads the current resource (for HTTPRoute parentRefs). */
  readonly lookup?: (ref: ConditionChange['ref']) => StoredResource | undefined;
  /** The component named in Events. */
  readonly component?: string;
  /**
   * Asked before every write: a replica that does not lead writes nothing (conditions reported
   * meanwhile are dropped; the new leader writes every current condition when it takes over).
   * Default: always write.
   */
  readonly canWrite?: () => boolean;
}

export class KubernetesStatusWriter implements StatusReporter {
  private readonly queue = new Map<string, ConditionChange>();
  private readonly attempts = new Map<string, number>();
  private running = false;
  private idleWaiters: (() => void)[] = [];
  private readonly logger: Logger;
  private readonly clock: Clock;

  constructor(private readonly options: KubernetesStatusWriterOptions) {
    this.logger = options.logger ?? silentLogger();
    this.clock = options.clock ?? systemClock;
  }

  report(changes: readonly ConditionChange[]): void {
    if (!this.mayWrite()) return;
    for (const c of changes) {
      if (c.condition === undefined || c.origin.source !== 'kubernetes') continue;
      this.queue.set(refKey(c.ref), c);
    }
    if (!this.running && this.queue.size > 0) void this.drain();
  }

  /** Resolves when every queued write has been attempted (for tests and shutdown). */
  idle(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async drain(): Promise<void> {
    this.running = true;
    while (this.queue.size > 0) {
      if (!this.mayWrite()) {
        // Leadership lost: stop at once; the next leader writes what is current.
        this.queue.clear();
        this.attempts.clear();
        break;
      }
      const [key, change] = this.queue.entries().next().value as [string, ConditionChange];
      this.queue.delete(key);
      try {
        await this.write(change);
        this.attempts.delete(key);
      } catch (err) {
        this.options.metrics.sourceErrors.inc({ source: 'kubernetes', reason: 'status-write' });
        const attempt = (this.attempts.get(key) ?? 0) + 1;
        const retry = attempt < MAX_ATTEMPTS && !(err instanceof KubeApiError && err.statusCode === 404);
        this.logger.warn(
          { resource: formatRef(change.ref), err: describeError(err), attempt, retry },
          'writing status back failed',
        );
        if (retry) {
          this.attempts.set(key, attempt);
          // Retry later unless a newer condition for the resource is queued by then.
          this.clock.setTimeout(
            () => {
              if (!this.queue.has(key)) this.report([change]);
            },
            1000 * 2 ** (attempt - 1),
          );
        } else this.attempts.delete(key);
      }
    }
    this.running = false;
    for (const w of this.idleWaiters.splice(0)) w();
  }

  private mayWrite(): boolean {
    return this.options.canWrite?.() ?? true;
  }

  private serviceParents(ref: ConditionChange['ref']): Record<string, unknown>[] {
    const stored = this.options.lookup?.(ref);
    if (stored?.parsed.kind !== 'HTTPRoute') return [];
    return stored.parsed.value.spec.parentRefs
      .filter((p) => p.kind === 'Service')
      .map((p) => ({
        group: p.group ?? '',
        kind: 'Service',
        name: p.name,
        ...(p.namespace === undefined ? {} : { namespace: p.namespace }),
        ...(p.port === undefined ? {} : { port: p.port }),
      }));
  }

  /**
   * status.parents is shared with other controllers (weft's gateway among them): a merge patch
   * would replace the whole list, so read, replace only weft.dev/mesh's entries, and write back
   * guarded by resourceVersion; a conflict (the other writer got there first) is read again.
   */
  private async writeRouteParents(ref: ConditionChange['ref'], path: string, cond: object): Promise<void> {
    const objectUrl = path.slice(0, -'/status'.length);
    for (let attempt = 1; ; attempt++) {
      const current = (await kubeRequest(this.options.kubeConfig, { method: 'GET', path: objectUrl })) as {
        status?: { parents?: { controllerName?: string }[] };
      };
      const others = (current.status?.parents ?? []).filter((p) => p?.controllerName !== CONTROLLER_NAME);
      const ours = this.serviceParents(ref).map((parentRef) => ({
        parentRef,
        controllerName: CONTROLLER_NAME,
        conditions: [cond],
      }));
      try {
        await kubeRequest(this.options.kubeConfig, {
          method: 'PUT',
          path,
          body: { ...current, status: { ...current.status, parents: [...others, ...ours].slice(0, 32) } },
        });
        return;
      } catch (err) {
        if (!(err instanceof KubeApiError && err.statusCode === 409) || attempt >= 3) throw err;
      }
    }
  }

  private async write(change: ConditionChange): Promise<void> {
    const { ref, origin, condition } = change;
    if (condition === undefined) return;
    const watched = WATCHED_KINDS.find((w) => w.kind === ref.kind);
    const now = new Date(this.clock.now()).toISOString().replace(/\.\d+Z$/, 'Z');
    const accepted = condition.status === 'accepted';
    const cond = {
      type: 'Accepted',
      status: accepted ? 'True' : 'False',
      reason: accepted ? 'Accepted' : condition.reason,
      message: accepted ? 'accepted by the weft control plane' : condition.message,
      lastTransitionTime: now,
      ...(origin.generation === undefined ? {} : { observedGeneration: origin.generation }),
    };
    if (watched?.status === true && origin.apiVersion !== undefined) {
      const version = origin.apiVersion.slice(origin.apiVersion.lastIndexOf('/') + 1);
      const path = `${objectPath(watched.group, version, watched.plural, ref.namespace, ref.name)}/status`;
      if (ref.kind === 'HTTPRoute') await this.writeRouteParents(ref, path, cond);
      else {
        const status = {
          ...(origin.generation === undefined ? {} : { observedGeneration: origin.generation }),
          conditions: [cond],
        };
        await kubeRequest(this.options.kubeConfig, {
          method: 'PATCH',
          path,
          body: { status },
          contentType: 'application/merge-patch+json',
        });
      }
    }
    if (!accepted && ref.namespace !== '') {
      // A name derived from the object version and the rejection: a second replica writing the
      // same Event gets 409 AlreadyExists, so replicas do not duplicate Events.
      const digest = createHash('sha256')
        .update(
          `${origin.uid ?? formatRef(ref)}\n${origin.resourceVersion ?? ''}\n${condition.reason}\n${condition.message}`,
        )
        .digest('hex')
        .slice(0, 16);
      try {
        await kubeRequest(this.options.kubeConfig, {
          method: 'POST',
          path: `/api/v1/namespaces/${encodeURIComponent(ref.namespace)}/events`,
          body: {
            apiVersion: 'v1',
            kind: 'Event',
            metadata: { name: `${ref.name}.${digest}`, namespace: ref.namespace },
            involvedObject: {
              apiVersion: origin.apiVersion,
              kind: ref.kind,
              name: ref.name,
              namespace: ref.namespace,
              ...(origin.uid === undefined ? {} : { uid: origin.uid }),
              ...(origin.resourceVersion === undefined ? {} : { resourceVersion: origin.resourceVersion }),
            },
            type: 'Warning',
            reason: condition.reason,
            message: condition.message.slice(0, 1024),
            source: { component: this.options.component ?? 'weft-control-plane' },
            reportingComponent: this.options.component ?? 'weft-control-plane',
            firstTimestamp: now,
            lastTimestamp: now,
            count: 1,
          },
        });
      } catch (err) {
        if (!(err instanceof KubeApiError && err.statusCode === 409)) throw err;
      }
    }
  }
}
