/** Resolving route backendRefs to mesh authorities, with the reason when one cannot be resolved. Pure. */
import type { BackendObjectRef, GatewayBackend, ReferenceGrantResource } from '@weft/api';
import type { ServiceModel } from '../model/service-model.js';
import { referenceAllowed } from './reference-grants.js';

/** What the translation needs to resolve a backend. */
export interface BackendContext {
  readonly fromGroup: string;
  readonly fromKind: string;
  readonly fromNamespace: string;
  readonly grants: readonly ReferenceGrantResource[];
  readonly service: (namespace: string, name: string) => ServiceModel | undefined;
  readonly clusterDomain: string;
}

/** Why a backendRef did not resolve, as the route's ResolvedRefs condition names it. */
export interface BackendProblem {
  readonly reason: 'BackendNotFound' | 'RefNotPermitted' | 'InvalidKind';
  readonly message: string;
}

export interface ResolvedBackend {
  readonly authority: string;
  readonly problem?: BackendProblem;
}

/** Resolves `ref` (found at field path `at`) to "<svc>.<ns>.svc.<domain>:<port>". */
export function resolveBackend(ref: BackendObjectRef, at: string, ctx: BackendContext): ResolvedBackend {
  const ns = ref.namespace ?? ctx.fromNamespace;
  const port = ref.port ?? 0;
  const authority = `${ref.name}.${ns}.svc.${ctx.clusterDomain}:${port}`;
  const group = ref.group ?? '';
  if ((ref.kind ?? 'Service') !== 'Service' || (group !== '' && group !== 'core'))
    return {
      authority,
      problem: {
        reason: 'InvalidKind',
        message: `${at}: only Service backends are supported, not ${ref.kind}`,
      },
    };
  if (
    !referenceAllowed(ctx.grants, {
      fromGroup: ctx.fromGroup,
      fromKind: ctx.fromKind,
      fromNamespace: ctx.fromNamespace,
      toGroup: '',
      toKind: 'Service',
      toNamespace: ns,
      toName: ref.name,
    })
  )
    return {
      authority,
      problem: {
        reason: 'RefNotPermitted',
        message: `${at}: no ReferenceGrant in namespace ${ns} allows ${ctx.fromKind}s from ${ctx.fromNamespace} to refer to Service ${ref.name}`,
      },
    };
  if (ref.port === undefined)
    return {
      authority,
      problem: { reason: 'BackendNotFound', message: `${at}.port: required for a Service` },
    };
  const svc = ctx.service(ns, ref.name);
  if (svc === undefined)
    return {
      authority,
      problem: { reason: 'BackendNotFound', message: `${at}.name: Service ${ns}/${ref.name} does not exist` },
    };
  if (!svc.ports.some((p) => p.port === port))
    return {
      authority,
      problem: {
        reason: 'BackendNotFound',
        message: `${at}.port: Service ${ns}/${ref.name} has no port ${port}`,
      },
    };
  return { authority };
}

/** A GatewayBackend message for a resolved (or unresolved) backend. */
export function backendMessage(
  r: ResolvedBackend,
  weight: number,
  filters: GatewayBackend['filters'],
): GatewayBackend {
  return {
    authority: r.authority,
    weight,
    ...(filters === undefined || filters.length === 0 ? {} : { filters }),
    ...(r.problem === undefined ? {} : { unresolvedReason: `${r.problem.reason}: ${r.problem.message}` }),
  };
}
