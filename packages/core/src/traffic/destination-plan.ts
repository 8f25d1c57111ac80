/** A Destination compiled once per update: route table, per-route split and retry policy, resolved policy. */
import type { Backend, Destination__Output, Route } from '@weft/api';
import type { Random } from '../random.js';
import { compileRetryPolicy, type RetryPolicy } from '../retry/retry-policy.js';
import type { RouteRequest } from '../routing/request-match.js';
import { RouteTable } from '../routing/route-table.js';
import { WeightedChoice } from '../split/weighted-choice.js';
import {
  backendName,
  type ResolvedTrafficPolicy,
  routesFromDestination,
  trafficPolicyFromProto,
} from './destination-config.js';

/** A route ready to serve: its split over backends, retry policy and request timeout. */
export interface PlannedRoute {
  readonly route: Route;
  readonly split: WeightedChoice<string>;
  readonly retry: RetryPolicy;
  readonly timeoutMs?: number;
}

/** Where one request goes. */
export type Selection =
  | { readonly type: 'selected'; readonly route: PlannedRoute; readonly backend: string }
  | { readonly type: 'no-route' }
  /** The route's backends all have weight 0 (Gateway API: answer 500). */
  | { readonly type: 'no-backend'; readonly route: PlannedRoute };

/** The compiled form of one Destination. Immutable; a new Destination builds a new plan. */
export interface DestinationPlan {
  readonly authority: string;
  readonly policy: ResolvedTrafficPolicy;
  readonly routes: readonly PlannedRoute[];
  /** Endpoint sets by backend name (`<service>.<namespace>:<port>`). */
  readonly backends: ReadonlyMap<string, Destination__Output['backends'][number]>;
  /** Routes a request and picks its backend by weight. */
  select(request: RouteRequest, random: Random): Selection;
}

/**
 * Compiles a Destination. Throws WeftError INVALID_CONFIG naming the field for an invalid
 * match, an unsafe regex, an unknown backend or a bad retry policy; the caller NACKs and
 * keeps its previous plan.
 */
export function planDestination(dest: Destination__Output): DestinationPlan {
  const policy = trafficPolicyFromProto(dest.policy);
  const routes = routesFromDestination(dest, policy);
  const table = new RouteTable(routes);
  const planned = routes.map((route, i): PlannedRoute => {
    const split = new WeightedChoice(
      route.backends.map((b: Backend) => ({ value: backendName(b), weight: b.weight })),
    );
    const retry = compileRetryPolicy(route.retry ?? policy.retry, `routes[${i}].retry`);
    return { route, split, retry, ...(route.timeoutMs === undefined ? {} : { timeoutMs: route.timeoutMs }) };
  });
  const backends = new Map(dest.backends.map((b) => [b.name, b]));
  if (dest.routes.length === 0 && !backends.has(backendName(dest))) {
    backends.set(backendName(dest), {
      name: backendName(dest),
      service: dest.service,
      namespace: dest.namespace,
      port: dest.port,
      endpoints: [],
    });
  }
  return {
    authority: dest.authority,
    policy,
    routes: planned,
    backends,
    select(request, random) {
      const decision = table.match(request);
      if (decision.type === 'no-route') return { type: 'no-route' };
      const route = planned[decision.routeIndex] as PlannedRoute;
      const backend = route.split.pick(random);
      if (backend === undefined) return { type: 'no-backend', route };
      return { type: 'selected', route, backend };
    },
  };
}
