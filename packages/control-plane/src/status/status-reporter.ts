/** Where resource conditions go: written back to Kubernetes, or logged in folder mode. */
import type { Logger } from '@weft/runtime';
import type { ControlPlaneMetrics } from '../metrics.js';
import type { ConditionChange } from '../model/mesh-state.js';
import { formatRef } from '../sources/config-source.js';
import { formatRejection, rejectionLine } from '../sources/rejection.js';

/** Receives every change of a resource's condition. Implementations must not throw. */
export interface StatusReporter {
  report(changes: readonly ConditionChange[]): void;
}

/** Folder mode: one log line and a metric per rejected resource. */
export class LogStatusReporter implements StatusReporter {
  constructor(
    private readonly logger: Logger,
    private readonly metrics: ControlPlaneMetrics,
  ) {}

  report(changes: readonly ConditionChange[]): void {
    for (const { ref, origin, condition } of changes) {
      if (condition?.status === 'rejected') {
        this.metrics.sourceErrors.inc({ source: origin.source, reason: condition.reason });
        this.logger.error(
          {
            resource: formatRef(ref),
            file: origin.file,
            line: rejectionLine(origin, condition.message),
            reason: condition.reason,
          },
          formatRejection(ref, origin, condition.message, condition.reason),
        );
      } else if (condition?.status === 'accepted') {
        this.logger.info({ resource: formatRef(ref) }, formatRejection(ref, origin, 'accepted'));
      }
    }
  }
}
