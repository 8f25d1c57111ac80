/**
 * The outbound traffic layer: for a request with a destination, route -> split -> limits ->
 * balance -> attempts with retries and timeouts -> outlier accounting (HTTP/1, HTTP/2 and
 * gRPC alike, through the exchange's attempt channel), or route -> split -> balance -> one
 * forward for exchanges that cannot be attempted twice (upgrades and CONNECT). Requests
 * without a destination (egress) pass to the next handler unchanged.
 */
import { type Clock, describeError, isWeftError, type Random } from '@weft/core';
import type { TrafficRegistry } from '../traffic/destination-traffic.js';
import { UnavailableError } from '../traffic/errors.js';
import { chooseRoute, type RouteChoice, TrafficCall } from '../traffic/traffic-call.js';
import type { TrafficCounters } from '../traffic/traffic-metrics.js';
import type { Exchange, Handler, Layer } from './types.js';

export interface TrafficLayerOptions {
  readonly registry: TrafficRegistry;
  readonly clock: Clock;
  readonly random: Random;
  readonly counters?: TrafficCounters;
  /**
   * Adjusts the route choice of a request (the ingress gateway: an HTTPRoute's own timeouts
   * and retry policy over the backend service's). Absent for a sidecar.
   */
  readonly adjust?: (req: Exchange, choice: RouteChoice) => RouteChoice;
}

/** Builds the layer. It is terminal for requests with a destination that can be retried. */
export function trafficLayer(o: TrafficLayerOptions): Layer {
  const deps = {
    clock: o.clock,
    random: o.random,
    ...(o.counters === undefined ? {} : { counters: o.counters }),
  };
  return (next) => (req) => {
    const destination = req.destination;
    if (destination === undefined) {
      next(req);
      return;
    }
    let traffic: ReturnType<TrafficRegistry['for']>;
    try {
      traffic = o.registry.for(destination);
    } catch (err) {
      req.fail(
        new UnavailableError(`${destination.authority}: invalid traffic config: ${describeError(err)}`),
      );
      return;
    }
    const chosen = chooseRoute(traffic, req, o.random);
    if (isWeftError(chosen)) {
      req.fail(chosen);
      return;
    }
    const route = o.adjust === undefined ? chosen : o.adjust(req, chosen);
    const call = new TrafficCall(req, deps);
    const channel = req.attempts(call, {
      markAttempt: true,
      connections: traffic.connections,
      retries: true,
    });
    if (channel === undefined) {
      forwardOnce(req, route, next);
      return;
    }
    call.startBalanced(traffic, channel, route);
  };
}

/** Balance without retries or accounting: protocol upgrades and CONNECT. */
function forwardOnce(req: Exchange, route: RouteChoice, next: Handler): void {
  const picked = route.balancer.pick();
  if (picked.type === 'fail') {
    req.fail(new UnavailableError(`${route.backend}: ${picked.message}`));
    return;
  }
  req.upstream = picked.endpoint.value.target;
  next(req);
}
