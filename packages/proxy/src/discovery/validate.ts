/** Checks a pushed resource before it is applied; a problem is NACKed with this text. */
import type { Resource__Output } from '@weft/api';
import { describeError, planDestination } from '@weft/core';
import { resolveTracingConfig } from '../telemetry/tracing-config.js';

const PORT_MAX = 65535;

function badPort(p: number): boolean {
  return !Number.isInteger(p) || p < 1 || p > PORT_MAX;
}

/** Undefined when `resource` can be applied, else why not. */
export function validateResource(resource: Resource__Output): string | undefined {
  if (resource.name === '') return 'empty name';
  switch (resource.kind) {
    case 'destination': {
      const d = resource.destination;
      if (d == null) return 'destination missing';
      for (const b of d.backends) {
        if (b.name === '') return 'backend with empty name';
        for (const e of b.endpoints) {
          if (e.address === '') return `backend ${b.name}: endpoint with empty address`;
          if (badPort(e.port)) return `backend ${b.name}: endpoint ${e.address} has invalid port ${e.port}`;
          if (e.meshed != null) {
            if (badPort(e.meshed.inboundPort)) {
              return `backend ${b.name}: endpoint ${e.address} has invalid meshed.inbound_port ${e.meshed.inboundPort}`;
            }
            if (!e.identity.startsWith('spiffe://')) {
              return `backend ${b.name}: meshed endpoint ${e.address}:${e.port} has no SPIFFE identity`;
            }
          }
        }
      }
      // Routes, splits, retry policies and regex safety: the traffic path's own compiler decides.
      try {
        planDestination(d);
      } catch (err) {
        return describeError(err);
      }
      return undefined;
    }
    case 'doesNotExist':
      return undefined;
    case 'inboundPolicy': {
      const p = resource.inboundPolicy;
      if (p == null) return 'inbound policy missing';
      for (const rule of p.rules) {
        if (rule.action === 'AUTHORIZATION_ACTION_UNSPECIFIED')
          return `rule ${rule.name}: action unspecified`;
      }
      return undefined;
    }
    case 'meshConfig':
      return meshTracingProblem(resource.meshConfig?.tracing);
    default:
      return 'resource without a kind';
  }
}

/** Why a pushed tracing section cannot be used (it is NACKed and the current tracing kept). */
function meshTracingProblem(
  tracing: { endpoint: string; protocol: string; sampling: number } | null | undefined,
): string | undefined {
  if (tracing == null) return undefined;
  try {
    resolveTracingConfig({ env: {}, mesh: tracing });
    return undefined;
  } catch (err) {
    return describeError(err);
  }
}
