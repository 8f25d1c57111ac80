/**
 * Logs and counts what became wrong in the gateway statuses (both modes; Kubernetes also writes
 * them) and in the Ingresses, which have no status conditions to carry it.
 */
import type { Logger } from '@weft/runtime';
import type { ControlPlaneMetrics } from '../metrics.js';
import { formatRef } from '../sources/config-source.js';
import type { GatewayStatusChange, IngressProblemChange } from './gateway-model.js';
import type { StatusCondition } from './gateway-status.js';

/** True for a condition that says something is wrong. */
function bad(c: StatusCondition): boolean {
  return c.type === 'Conflicted' ? c.status === 'True' : c.status === 'False';
}

/** One warning and one count per bad condition in the changed statuses. */
export function logGatewayStatuses(
  changes: readonly GatewayStatusChange[],
  logger: Logger,
  metrics: ControlPlaneMetrics,
): void {
  for (const { ref, status } of changes) {
    if (status === undefined) continue;
    const found: { where: string; c: StatusCondition }[] = [];
    if (!('conditions' in status)) {
      for (const p of status.parents)
        for (const c of p.conditions)
          if (bad(c)) found.push({ where: `parent Gateway ${String(p.parentRef.name)}`, c });
    } else {
      for (const c of status.conditions) if (bad(c)) found.push({ where: '', c });
      if (status.kind === 'Gateway')
        for (const l of status.listeners)
          for (const c of l.conditions)
            if (bad(c) && c.type !== 'Programmed') found.push({ where: `listener ${l.name}`, c });
    }
    for (const { where, c } of found) {
      metrics.gatewayRejections.inc({ kind: ref.kind, reason: c.reason });
      logger.warn(
        {
          resource: formatRef(ref),
          ...(where === '' ? {} : { at: where }),
          condition: c.type,
          reason: c.reason,
        },
        `${formatRef(ref)}${where === '' ? '' : ` (${where})`}: ${c.type}=${c.status} ${c.reason}: ${c.message}`,
      );
    }
  }
}

/** One warning and one count per Ingress problem new in its changed set; one line when all are gone. */
export function logIngressProblems(
  changes: readonly IngressProblemChange[],
  logger: Logger,
  metrics: ControlPlaneMetrics,
): void {
  for (const { ref, problems, added } of changes) {
    if (problems.length === 0) {
      logger.info({ resource: formatRef(ref) }, `${formatRef(ref)}: every problem is resolved`);
      continue;
    }
    for (const p of added) {
      metrics.gatewayRejections.inc({ kind: ref.kind, reason: p.reason });
      logger.warn(
        { resource: formatRef(ref), reason: p.reason },
        `${formatRef(ref)}: ${p.reason}: ${p.message}`,
      );
    }
  }
}
