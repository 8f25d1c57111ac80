/**
 * The outbound traffic layer: for a request with a destination, route -> split -> limits ->
 * balance -> attempts with retries and timeouts -> outlier accounting (HTTP/1, HTTP/2 and
 * gRPC), or route -> split -> balance -> one forward (upgrades and CONNECT, which are not
 * retried). Requests without a destination (egress) pass to the next handler unchanged.
 */
import { type Clock, describeError, type Random } from '@weft/core';
import { Http1Request } from '../http1/server-connection.js';
import { H2Request } from '../http2/h2-request.js';
import type { Layer, ProxyRequest } from '../layers/types.js';
import type { DestinationTraffic, TrafficRegistry } from './destination-traffic.js';
import { NoBackendError, NoRouteError, UnavailableError, UpstreamFailedError } from './errors.js';
import { H2Exchange } from './h2-exchange.js';
import { endpointTarget, Http1Exchange } from './http1-exchange.js';
import type { TrafficMetrics } from './traffic-metrics.js';
import { sendThroughTraffic } from './traffic-pipeline.js';

export interface TrafficLayerOptions {
  readonly registry: TrafficRegistry;
  readonly clock: Clock;
  readonly random: Random;
  readonly metrics?: TrafficMetrics;
}

/** Builds the layer. It is terminal for requests with a destination. */
export function trafficLayer(o: TrafficLayerOptions): Layer {
  return (next) => (req) => {
    const destination = req.destination;
    if (destination === undefined) {
      next(req);
      return;
    }
    let traffic: DestinationTraffic;
    try {
      traffic = o.registry.for(destination);
    } catch (err) {
      req.fail(
        new UnavailableError(`${destination.authority}: invalid traffic config: ${describeError(err)}`),
      );
      return;
    }
    if (req instanceof Http1Request && req.head.upgrade === '' && req.method !== 'CONNECT') {
      const exchange = new Http1Exchange(req, o.clock, traffic.connections);
      sendThroughTraffic(traffic, exchange, o)
        .then((result) => {
          if (result.type === 'failed' && !exchange.signal.aborted) req.fail(result.error);
        })
        .catch((err: unknown) =>
          req.fail(new UpstreamFailedError(`traffic path failed: ${describeError(err)}`)),
        );
      return;
    }
    if (req instanceof H2Request && req.method !== 'CONNECT') {
      const exchange = new H2Exchange(req, o.clock, traffic.plan.policy.timeouts.idleMs);
      sendThroughTraffic(traffic, exchange, o)
        .then((result) => {
          if (result.type === 'relayed') return;
          exchange.drop();
          if (!exchange.signal.aborted) req.fail(result.error);
        })
        .catch((err: unknown) => {
          exchange.drop();
          req.fail(new UpstreamFailedError(`traffic path failed: ${describeError(err)}`));
        });
      return;
    }
    forwardOnce(traffic, req, o.random, next);
  };
}

/** Route, split and balance without retries or accounting: protocol upgrades and CONNECT. */
function forwardOnce(
  traffic: DestinationTraffic,
  req: ProxyRequest,
  random: Random,
  next: (r: ProxyRequest) => void,
): void {
  const selection = traffic.plan.select(
    { method: req.method, path: req.path, header: (name) => req.header(name) },
    random,
  );
  if (selection.type === 'no-route') {
    req.fail(new NoRouteError(traffic.plan.authority, req.method, req.path));
    return;
  }
  if (selection.type === 'no-backend') {
    req.fail(new NoBackendError(`every backend of route ${selection.route.route.name} has weight 0`));
    return;
  }
  const balancer = traffic.balancer(selection.backend);
  const picked = balancer?.pick();
  if (balancer === undefined || picked === undefined) {
    req.fail(new UnavailableError(`${selection.backend}: unknown backend`));
    return;
  }
  if (picked.type === 'fail') {
    req.fail(new UnavailableError(`${selection.backend}: ${picked.message}`));
    return;
  }
  req.telemetry?.routed(selection.route.route.name, selection.backend);
  req.upstream = endpointTarget(picked.endpoint.value);
  next(req);
}
