/**
 * The gateway's layer, between telemetry and the outbound path: picks the listener (Host) and
 * the route (first match), runs the route's filters in order (header modifiers, redirect,
 * rewrite, mirror), picks a backend by weight, sets the forwarded headers, and hands the
 * request on as a request to the backend's mesh authority. Everything after it (routes and
 * splits of the backend service, balancing, retries, timeouts, mTLS) is the sidecar's outbound
 * path, unchanged.
 */
import type { AttemptOutcome, CompiledMatch, Random, WeftError } from '@weft/core';
import type { Http1Pool } from '../http1/pool.js';
import type { Http1Request } from '../http1/request.js';
import type { H2Request } from '../http2/h2-request.js';
import type { Exchange, ExchangeTelemetry, Layer } from '../layers/types.js';
import type { UpstreamTarget } from '../net/upstream-target.js';
import type { CompiledFilter, CompiledGateway, CompiledRoute, HeaderModifier } from './compiled.js';
import { deriveExchange } from './derived-exchange.js';
import { setForwardedHeaders, stripInternalHeaders, type TrustedProxies } from './forwarded.js';
import type { GatewayMetrics } from './gateway-metrics.js';
import { applyHeaderModifier, type HeaderBag } from './header-bag.js';
import { hostOf } from './hostnames.js';
import { respondLocally } from './local-response.js';
import type { Mirror } from './mirror.js';
import { mirrorCopies } from './mirror-copy.js';
import { redirectLocation, rewritePath } from './paths.js';
import { noOverrides, type RouteOverrideTable } from './route-overrides.js';
import { selectListener, selectRoute } from './select.js';

export interface GatewayLayerDeps {
  /** The config in force (swapped whole on reload; read once per request). */
  readonly config: () => CompiledGateway;
  readonly trusted: TrustedProxies;
  readonly random: Random;
  readonly metrics: GatewayMetrics;
  readonly mirror: Mirror;
  /** The HTTP/1 pool h2 requests to HTTP/1.1 backends go through (known once the side is built). */
  readonly http1Pool: () => Http1Pool;
  /** Where the route's timeouts and retry policy are left for the traffic layer. */
  readonly overrides: RouteOverrideTable;
}

/** What the route's and backend's filters decided, before the request is sent. */
interface Plan {
  target: string | undefined;
  host: string | undefined;
  readonly requestModifiers: HeaderModifier[];
  readonly responseModifiers: HeaderModifier[];
  readonly mirrors: Extract<CompiledFilter, { type: 'mirror' }>[];
}

function isGrpc(req: Exchange, route: CompiledRoute | undefined): boolean {
  return route?.grpc === true || (req.header('content-type') ?? '').startsWith('application/grpc');
}

export function gatewayLayer(deps: GatewayLayerDeps): Layer {
  return (next) => (req) => {
    const port = deps.config().ports.get(req.port);
    const host = hostOf(req.authority);
    const count = (listener: string, route: string) => countResponses(req, deps.metrics, listener, route);
    if (port === undefined) {
      count('', '');
      respondLocally(req, {
        status: 404,
        message: `no listener on port ${req.port}`,
        grpc: isGrpc(req, undefined),
      });
      return;
    }
    const selection = selectRoute(port, host, req);
    if (selection.type === 'no-listener') {
      count('', '');
      respondLocally(req, {
        status: 404,
        message: `no listener on port ${req.port} serves host ${JSON.stringify(host)}`,
        grpc: isGrpc(req, undefined),
      });
      return;
    }
    if (selection.type === 'no-route') {
      count(selection.listener.name, '');
      respondLocally(req, { status: 404, message: 'no route matches', grpc: isGrpc(req, undefined) });
      return;
    }
    const { listener, route, match } = selection;
    if (port.protocol === 'https') {
      // The listener the TLS handshake chose (by SNI) must be the one the Host chose: a request
      // for another listener's host on this connection was not authenticated for it (421).
      const sni = serverName(req);
      if (sni !== '' && selectListener(port, sni) !== listener) {
        count(listener.name, '');
        respondLocally(req, {
          status: 421,
          message: `host ${JSON.stringify(host)} is not served on a connection for ${JSON.stringify(sni)}`,
          grpc: isGrpc(req, route),
        });
        return;
      }
    }
    count(listener.name, route.name);
    const grpc = isGrpc(req, route);
    const scheme = port.protocol;
    const plan: Plan = {
      target: undefined,
      host: undefined,
      requestModifiers: [],
      responseModifiers: [],
      mirrors: [],
    };
    for (const f of route.filters) {
      if (f.type === 'redirect') {
        const location = redirectLocation(f, { scheme, host, port: port.port, target: req.path }, match);
        respondLocally(req, {
          status: f.statusCode,
          headers: { location },
          message: `redirect to ${location}`,
          grpc: false,
          modifiers: route.responseModifiers,
        });
        return;
      }
      applyFilter(f, plan, req, match);
    }
    const backend = route.backends.pick(deps.random);
    if (backend === undefined) {
      respondLocally(req, {
        status: 500,
        message: `route ${route.name} has no backend with weight > 0`,
        grpc,
        modifiers: route.responseModifiers,
      });
      return;
    }
    if (backend.unresolvedReason !== '') {
      respondLocally(req, {
        status: 500,
        message: `route ${route.name}: ${backend.unresolvedReason}`,
        grpc,
        modifiers: route.responseModifiers,
      });
      return;
    }
    for (const f of backend.filters) applyFilter(f, plan, req, match);
    const trusted = deps.trusted.trusts(req.peer.address);
    const editHeaders = (headers: HeaderBag) => {
      stripInternalHeaders(headers);
      setForwardedHeaders(headers, { peer: req.peer.address, proto: scheme, host: req.authority, trusted });
      for (const m of plan.requestModifiers) applyHeaderModifier(headers, m);
    };
    const bodyTap =
      plan.mirrors.length === 0
        ? undefined
        : mirrorCopies(req, {
            mirror: deps.mirror,
            random: deps.random,
            filters: plan.mirrors,
            host: plan.host,
            target: plan.target,
            editHeaders,
            grpc,
          });
    const derived = deriveExchange(req, {
      name: backend.authority,
      egress: backend.egress,
      target: plan.target,
      host: plan.host,
      editHeaders,
      responseModifiers: plan.responseModifiers,
      // gRPC stays on h2; other h2 requests go as HTTP/1.1 unless the destination speaks h2.
      downgrade: (destination) =>
        !grpc && destination?.protocol !== 'PROTOCOL_HTTP2' && destination?.protocol !== 'PROTOCOL_GRPC',
      http1Pool: deps.http1Pool,
      fixedTimeoutMs: shorter(route.requestTimeoutMs, route.backendRequestTimeoutMs),
      bodyTap,
    });
    // The compiled route carries its own timeouts and retry policy (a RouteOverrides).
    if (!noOverrides(route)) deps.overrides.set(derived, route);
    next(derived);
  };
}

function applyFilter(f: CompiledFilter, plan: Plan, req: Exchange, match: CompiledMatch | undefined): void {
  switch (f.type) {
    case 'request-headers':
      plan.requestModifiers.push(f.modifier);
      return;
    case 'response-headers':
      plan.responseModifiers.push(f.modifier);
      return;
    case 'rewrite':
      if (f.hostname !== '') plan.host = f.hostname;
      if (f.path !== undefined) plan.target = rewritePath(plan.target ?? req.path, f.path, match);
      return;
    case 'mirror':
      plan.mirrors.push(f);
      return;
    case 'redirect':
      // Refused on backends at compile time; route redirects answer before this is reached.
      return;
  }
}

/** Counts the response of `req` under its listener and route (wraps the exchange's telemetry). */
function countResponses(req: Exchange, metrics: GatewayMetrics, listener: string, route: string): void {
  req.telemetry = new CountingTelemetry(req.telemetry, metrics, listener, route);
}

/** An exchange's telemetry that also counts its response once in `weft_gateway_requests_total`. */
class CountingTelemetry implements ExchangeTelemetry {
  private counted = false;

  constructor(
    /** The telemetry layer's (undefined in unit tests without one). */
    private readonly inner: ExchangeTelemetry | undefined,
    private readonly metrics: GatewayMetrics,
    private readonly listener: string,
    private readonly route: string,
  ) {}

  get traceHeaders(): ExchangeTelemetry['traceHeaders'] {
    return this.inner?.traceHeaders;
  }
  routed(route: string, backend: string): void {
    this.inner?.routed(route, backend);
  }
  attemptStarted(upstream: UpstreamTarget, attempt: number): void {
    this.inner?.attemptStarted(upstream, attempt);
  }
  attemptEnded(outcome: AttemptOutcome, detail?: string): void {
    this.inner?.attemptEnded(outcome, detail);
  }
  responded(status: number, error?: WeftError): void {
    if (!this.counted) {
      this.counted = true;
      this.metrics.requests.inc({ listener: this.listener, route: this.route, code: String(status) });
    }
    this.inner?.responded(status, error);
  }
  grpcStatus(code: number): void {
    this.inner?.grpcStatus(code);
  }
  finished(): void {
    this.inner?.finished();
  }
}

/** The SNI name of the request's TLS connection ('' when none or not TLS), as the port recorded it. */
function serverName(req: Exchange): string {
  const name =
    req.protocol === 'http1' ? (req as Http1Request).conn.info.servername : (req as H2Request).servername;
  return name === undefined ? '' : name.toLowerCase();
}

function shorter(a: number, b: number): number {
  return Number.isNaN(a) ? b : Number.isNaN(b) ? a : Math.min(a, b);
}
