/**
 * The outbound traffic layer: for a request with a destination, route -> split -> limits ->
 * balance -> attempts with retries and timeouts -> outlier accounting (HTTP/1), or route ->
 * split -> balance -> one forward (HTTP/2 and upgrades, which are not retried). Requests
 * without a destination (egress) pass to the next handler unchanged.
 */
import { type Clock, describeError, type Random } from '@weft/core';
import { Http1Request } from '../http1/server-connection.js';
import type { Layer, ProxyRequest } from '../layers/types.js';
import type { DestinationTraffic, TrafficRegistry } from './destination-traffic.js';
import { NoBackendError, NoRouteError, UnavailableError, UpstreamFailedError } from './errors.js';
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
      const exchange = new Http1Exchange(req, o.clock);
      sendThroughTraffic(traffic, exchange, o)
        .then((result) => {
          if (result.type === 'failed' && !exchange.signal.aborted) req.fail(result.error);
        })
        .catch((err: unknown) =>
          req.fail(new UpstreamFailedError(`traffic path failed: ${describeError(err)}`)),
        );
      return;
    }
    forwardOnce(traffic, req, o.random, next);
  };
}

/** Route, split and balance without retries: HTTP/2 streams and protocol upgrades. */
function forwardOnce(
  traffic: DestinationTraffic,
  req: ProxyRequest,
  random: Random,
  next: (r: ProxyRequest) => void,
): void {
  const selection = traffic.plan.select(
    { method: req.method, path: req.path, headers: headersOf(req) },
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
  const picked = traffic.balancer(selection.backend)?.pick();
  if (picked === undefined || picked.type === 'fail') {
    const why = picked === undefined ? 'unknown backend' : picked.message;
    req.fail(new UnavailableError(`${selection.backend}: ${why}`));
    return;
  }
  req.telemetry?.routed(selection.route.route.name, selection.backend);
  req.upstream = endpointTarget(picked.endpoint.value);
  next(req);
}

/** Headers a route can match on, read through the request's accessor. */
function headersOf(req: ProxyRequest): Record<string, string | undefined> {
  return new Proxy({} as Record<string, string | undefined>, {
    get: (_t, name) => (typeof name === 'string' ? req.header(name) : undefined),
  });
}
