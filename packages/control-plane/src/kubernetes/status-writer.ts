/**
 * Kubernetes mode: writes each resource's condition back — an `Accepted` condition with the
 * `observedGeneration` it describes in the status subresource (Gateway API style `status.parents`
 * for HTTPRoute) — and a Warning Event for every rejection. Writes are queued per resource (latest condition wins) and never block the model.
 */

import type { KubeConfig } from '@kubernetes/client-node';
import { backoffDelayMs, type Clock, type Random, systemClock, systemRandom } from '@weft/core';
import { type Logger, silentLogger } from '@weft/runtime';
import type { ControlPlaneMetrics } from '../metrics.js';
import type { ConditionChange, StoredResource } from '../model/mesh-state.js';
import type { StatusReporter } from '../status/status-reporter.js';
import { KubeApiError, kubeRequest } from './kube-client.js';
import { StatusWriteQueue } from './status-write-queue.js';
import { postWarningEvent } from './warning-event.js';
import { objectPath, WATCHED_KINDS } from './watched-kinds.js';

/** Waits between those writes: core's backoff (full jitter), ceilings 1, 2, 4 and 8 s. */
const RETRY_BACKOFF = { baseMs: 1000, maxMs: 8000 };

/** The controller name weft writes in HTTPRoute parent statuses. */
export const CONTROLLER_NAME = 'weft.dev/mesh';

export interface KubernetesStatusWriterOptions {
  readonly kubeConfig: KubeConfig;
  readonly metrics: ControlPlaneMetrics;
  readonly logger?: Logger;
  readonly clock?: Clock;
  /** Jitter of the retry waits; default Math.random. */
  readonly random?: Random;
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
  private readonly queue: StatusWriteQueue<ConditionChange>;
  private readonly clock: Clock;

  constructor(private readonly options: KubernetesStatusWriterOptions) {
    this.clock = options.clock ?? systemClock;
    const random = options.random ?? systemRandom;
    this.queue = new StatusWriteQueue({
      accepts: (c) => c.condition !== undefined && c.origin.source === 'kubernetes',
      write: (c) => this.write(c),
      metrics: options.metrics,
      logger: options.logger ?? silentLogger(),
      clock: this.clock,
      failureMessage: 'writing status back failed',
      retryDelayMs: (attempt) => backoffDelayMs(RETRY_BACKOFF, attempt - 1, random),
      ...(options.canWrite === undefined ? {} : { canWrite: options.canWrite }),
    });
  }

  report(changes: readonly ConditionChange[]): void {
    this.queue.report(changes);
  }

  /** Resolves when every queued write has been attempted (for tests and shutdown). */
  idle(): Promise<void> {
    return this.queue.idle();
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
    if (!accepted && ref.namespace !== '')
      await postWarningEvent(this.options.kubeConfig, {
        ref,
        origin,
        reason: condition.reason,
        message: condition.message,
        component: this.options.component,
        now,
      });
  }
}
