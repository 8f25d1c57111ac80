/** Evaluates everything attached to one service: its routing, its TrafficPolicy per port, and a condition per attached resource. */
import type { TrafficPolicyResource } from '@weft/api';
import { refKey } from '../sources/config-source.js';
import type { ParsedResource } from './resource-parse.js';
import { type ApexRouting, type Condition, routeApex } from './routing.js';
import type { ServiceModel } from './service-model.js';

export interface ServiceEvaluation {
  readonly routing: ApexRouting | undefined;
  /** The winning TrafficPolicy per port; key 0 holds the service-wide one. */
  readonly trafficPolicies: ReadonlyMap<number, TrafficPolicyResource>;
  /** Conditions of the attached resources, by ref key. */
  readonly conditions: ReadonlyMap<string, Condition>;
}

type Lookup = (namespace: string, name: string) => ServiceModel | undefined;

function keyOf(p: ParsedResource): string {
  return refKey({
    kind: p.kind,
    namespace: p.value.metadata.namespace ?? 'default',
    name: p.value.metadata.name,
  });
}

function creation(meta: object): string {
  const ts = (meta as { creationTimestamp?: unknown }).creationTimestamp;
  return typeof ts === 'string' ? ts : '';
}

const MISSING: Record<string, { reason: string; field: string }> = {
  TrafficSplit: { reason: 'ServiceNotFound', field: 'spec.service' },
  HTTPRoute: { reason: 'NoMatchingParent', field: 'spec.parentRefs' },
  TrafficPolicy: { reason: 'TargetNotFound', field: 'spec.targetRef.name' },
  AuthorizationPolicy: { reason: 'TargetNotFound', field: 'spec.targetRef.name' },
  StaticEndpoints: { reason: 'ServiceNotFound', field: 'spec.service' },
};

/** Evaluates the resources attached to service `namespace/name` (`svc` undefined when it does not exist). */
export function evaluateService(
  namespace: string,
  name: string,
  svc: ServiceModel | undefined,
  attached: readonly ParsedResource[],
  lookup: Lookup,
): ServiceEvaluation {
  const conditions = new Map<string, Condition>();
  if (svc === undefined) {
    for (const p of attached) {
      const m = MISSING[p.kind];
      if (m !== undefined) {
        conditions.set(keyOf(p), {
          status: 'rejected',
          reason: m.reason,
          message: `${m.field}: Service ${namespace}/${name} does not exist`,
        });
      }
    }
    return { routing: undefined, trafficPolicies: new Map(), conditions };
  }
  const splits = attached.flatMap((p) => (p.kind === 'TrafficSplit' ? [p.value] : []));
  const routes = attached.flatMap((p) => (p.kind === 'HTTPRoute' ? [p.value] : []));
  const routing = splits.length + routes.length > 0 ? routeApex(svc, splits, routes, lookup) : undefined;
  for (const [k, c] of routing?.conditions ?? []) conditions.set(k, c);

  const trafficPolicies = new Map<number, TrafficPolicyResource>();
  const policies = attached
    .flatMap((p) => (p.kind === 'TrafficPolicy' ? [p.value] : []))
    .sort((a, b) => {
      const ca = creation(a.metadata);
      const cb = creation(b.metadata);
      return ca !== cb ? (ca < cb ? -1 : 1) : a.metadata.name < b.metadata.name ? -1 : 1;
    });
  for (const policy of policies) {
    const key = refKey({ kind: 'TrafficPolicy', namespace, name: policy.metadata.name });
    const port = policy.spec.targetRef.port ?? 0;
    if (port !== 0 && !svc.ports.some((p) => p.port === port)) {
      conditions.set(key, {
        status: 'rejected',
        reason: 'TargetNotFound',
        message: `spec.targetRef.port: Service ${namespace}/${name} has no port ${port}`,
      });
      continue;
    }
    const winner = trafficPolicies.get(port);
    if (winner !== undefined) {
      conditions.set(key, {
        status: 'rejected',
        reason: 'Conflicted',
        message: `TrafficPolicy ${namespace}/${winner.metadata.name} already targets Service ${name}${port === 0 ? '' : ` port ${port}`}`,
      });
      continue;
    }
    trafficPolicies.set(port, policy);
    conditions.set(key, { status: 'accepted' });
  }
  for (const p of attached) {
    if (p.kind === 'AuthorizationPolicy' || p.kind === 'StaticEndpoints') {
      const port = p.kind === 'AuthorizationPolicy' ? p.value.spec.targetRef.port : undefined;
      conditions.set(
        keyOf(p),
        port !== undefined && !svc.ports.some((sp) => sp.port === port)
          ? {
              status: 'rejected',
              reason: 'TargetNotFound',
              message: `spec.targetRef.port: Service ${namespace}/${name} has no port ${port}`,
            }
          : { status: 'accepted' },
      );
    }
  }
  return { routing, trafficPolicies, conditions };
}
