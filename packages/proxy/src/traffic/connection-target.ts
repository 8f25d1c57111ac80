/** Per-connection balancing for opaque TCP: the destination's catch-all route, its split, one endpoint. */

import type { Destination__Output } from '@weft/api';
import type { Random, RouteRequest } from '@weft/core';
import type { UpstreamTarget } from '../net/upstream-target.js';
import type { TrafficRegistry } from './destination-traffic.js';

/** A picked endpoint for one connection; `done` reports whether connecting succeeded. */
export interface ConnectionPick {
  readonly target: UpstreamTarget;
  done(connected: boolean): void;
}

/** A bare connection matches only routes without HTTP conditions (matches on "/" with no method or headers). */
const CONNECTION: RouteRequest = { method: '', path: '/', header: () => undefined };

/**
 * Picks the endpoint a new TCP connection to `destination` goes to, counting it in the
 * endpoint's load and feeding connect failures to outlier detection. Undefined when there is
 * nowhere to go (no route, every weight 0, no endpoint, invalid config).
 */
export function connectionTarget(
  registry: TrafficRegistry,
  destination: Destination__Output,
  random: Random,
): ConnectionPick | undefined {
  let selection: ReturnType<ReturnType<TrafficRegistry['for']>['plan']['select']>;
  let traffic: ReturnType<TrafficRegistry['for']>;
  try {
    traffic = registry.for(destination);
    selection = traffic.plan.select(CONNECTION, random);
  } catch {
    return undefined;
  }
  if (selection.type !== 'selected') return undefined;
  const balancer = traffic.balancer(selection.backend);
  const picked = balancer?.pick();
  if (balancer === undefined || picked === undefined || picked.type === 'fail') return undefined;
  const attempt = balancer.start(picked.endpoint);
  return {
    target: picked.endpoint.value.target,
    done: (connected) => attempt.end(connected ? 'success' : 'unreachable'),
  };
}
