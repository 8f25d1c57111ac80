/**
 * Kubernetes mode: a Warning Event on an Ingress for each of its problems (see gateway/ingress.ts)
 * whenever its set of problems changes. Ingress v1 has no status conditions, so Events (with the
 * log line and the rejection counter) are how its owner learns what weft cannot serve. Queued
 * per Ingress, latest wins; only the leader writes. The Event name is derived from the Ingress's
 * resourceVersion and the problem, so a problem that stays across a change of the set (or a second
 * replica) does not make a second Event for the same object version.
 */
import { type Clock, systemClock } from '@weft/core';
import { silentLogger } from '@weft/runtime';
import type { IngressProblemChange } from '../gateway/gateway-model.js';
import type { GatewayStatusWriterOptions } from './gateway-status-writer.js';
import { StatusWriteQueue } from './status-write-queue.js';
import { postWarningEvent } from './warning-event.js';

/** The same needs as the gateway status writer's (lookup: the stored Ingress). */
export type IngressEventWriterOptions = GatewayStatusWriterOptions;

export class IngressEventWriter {
  private readonly queue: StatusWriteQueue<IngressProblemChange>;

  constructor(private readonly options: IngressEventWriterOptions) {
    const clock = options.clock ?? systemClock;
    this.queue = new StatusWriteQueue({
      accepts: (c) => c.problems.length > 0 && options.lookup(c.ref)?.origin.source === 'kubernetes',
      write: (c) => this.write(c, clock),
      metrics: options.metrics,
      logger: options.logger ?? silentLogger(),
      clock,
      failureMessage: 'writing an Ingress Event failed',
      retryDelayMs: (attempt) => 1000 * 2 ** (attempt - 1),
      ...(options.canWrite === undefined ? {} : { canWrite: options.canWrite }),
    });
  }

  report(changes: readonly IngressProblemChange[]): void {
    this.queue.report(changes);
  }

  /** Resolves when every queued write has been attempted. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  private async write(change: IngressProblemChange, clock: Clock): Promise<void> {
    const stored = this.options.lookup(change.ref);
    if (stored === undefined) return;
    const now = new Date(clock.now()).toISOString().replace(/\.\d+Z$/, 'Z');
    for (const p of change.problems)
      await postWarningEvent(this.options.kubeConfig, {
        ref: change.ref,
        origin: stored.origin,
        reason: p.reason,
        message: p.message,
        now,
      });
  }
}
