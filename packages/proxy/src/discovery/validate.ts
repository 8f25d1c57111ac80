/**
 * Checks a pushed resource before it is applied, compiling a destination's plan in the same
 * step (the plan is kept, never compiled again); a problem is NACKed with its text.
 */
import { isIP } from 'node:net';
import type { Resource__Output } from '@weft/api';
import { type DestinationPlan, describeError, planDestination } from '@weft/core';
import { resolveTracingConfig } from '../telemetry/tracing-config.js';

const PORT_MAX = 65535;

function badPort(p: number): boolean {
  return !Number.isInteger(p) || p < 1 || p > PORT_MAX;
}

/** A checked resource: a destination carries its compiled plan. */
export type CheckResult =
  | { readonly type: 'valid'; readonly plan?: DestinationPlan }
  | { readonly type: 'invalid'; readonly reason: string };

/** Checks `resource` and compiles a destination's plan; `invalid` says why it cannot be applied. */
export function checkResource(resource: Resource__Output): CheckResult {
  if (resource.kind === 'destination' && resource.name !== '' && resource.destination != null) {
    const d = resource.destination;
    const problem = endpointProblem(d);
    if (problem !== undefined) return { type: 'invalid', reason: problem };
    // Routes, splits, retry policies and regex safety: compiled here, once.
    try {
      return { type: 'valid', plan: planDestination(d) };
    } catch (err) {
      return { type: 'invalid', reason: describeError(err) };
    }
  }
  const problem = otherProblem(resource);
  return problem === undefined ? { type: 'valid' } : { type: 'invalid', reason: problem };
}

type DestinationMessage = NonNullable<Resource__Output['destination']>;

/** Why a destination's backends or endpoints cannot be used, or undefined. */
function endpointProblem(d: DestinationMessage): string | undefined {
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
  return undefined;
}

/** Why a resource other than a well-formed destination cannot be applied, or undefined. */
function otherProblem(resource: Resource__Output): string | undefined {
  if (resource.name === '') return 'empty name';
  switch (resource.kind) {
    case 'destination':
      return 'destination missing';
    case 'doesNotExist':
      return undefined;
    case 'dnsRecord':
      return dnsRecordProblem(resource);
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
    case 'gatewayConfig':
      // Checked in full by the gateway's own sink (see GatewayConfigSink).
      return resource.gatewayConfig == null ? 'gateway config missing' : undefined;
    default:
      return 'resource without a kind';
  }
}

/** Why a pushed DNS record cannot be served, or undefined. */
function dnsRecordProblem(resource: Resource__Output): string | undefined {
  const r = resource.dnsRecord;
  if (r == null) return 'dns record missing';
  if (!resource.name.startsWith('dns:')) return 'a dns record answers only a "dns:" name';
  for (const a of r.addresses) if (isIP(a) === 0) return `dns record address "${a}" is not an IP address`;
  const ttl = Number(r.ttl?.seconds ?? 0);
  if (!Number.isInteger(ttl) || ttl < 0 || ttl > 86_400) return `dns record ttl ${ttl} s is out of range`;
  for (const p of r.ports) if (badPort(p)) return `dns record port ${p} is invalid`;
  return undefined;
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
