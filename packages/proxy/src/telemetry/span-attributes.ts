/**
 * Span attributes of proxied requests: the OpenTelemetry HTTP semantic conventions plus
 * weft's own (`weft.*`). Pure functions, called only for sampled requests.
 */
import type { Attributes } from '@opentelemetry/api';
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_CLIENT_PORT,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_REQUEST_METHOD_ORIGINAL,
  ATTR_HTTP_REQUEST_RESEND_COUNT,
  ATTR_NETWORK_PEER_ADDRESS,
  ATTR_NETWORK_PEER_PORT,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_FULL,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
} from '@opentelemetry/semantic-conventions';

/** weft's attribute keys. */
export const ATTR_WEFT_DIRECTION = 'weft.direction';
export const ATTR_WEFT_ROUTE = 'weft.route';
export const ATTR_WEFT_BACKEND_SERVICE = 'weft.backend.service';
export const ATTR_WEFT_ENDPOINT = 'weft.endpoint';
export const ATTR_WEFT_ATTEMPT = 'weft.attempt';
export const ATTR_WEFT_PEER_IDENTITY = 'weft.peer.identity';
export const ATTR_WEFT_MTLS = 'weft.mtls';

/** Which listener a request arrived on. */
export type Direction = 'inbound' | 'outbound';

/** Facts about the connection a request arrived on (computed once per connection). */
export interface TracedConnection {
  readonly direction: Direction;
  /** True when the request arrived over mTLS from another proxy. */
  readonly mtls: boolean;
  /** The SPIFFE ID of the peer proxy, when it presented a verified certificate. */
  readonly peerIdentity?: string | undefined;
  readonly peerAddress?: string | undefined;
  readonly peerPort?: number | undefined;
}

/**
 * The request as it arrived. Node's `IncomingMessage` and `Http2ServerRequest` satisfy it, so
 * a layer can pass its request as is: nothing is read unless the request is sampled.
 */
export interface TracedRequest {
  readonly method?: string | undefined;
  /** The request target: path and query. */
  readonly url?: string | undefined;
  /** "1.1" or "2.0". */
  readonly httpVersion: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** One attempt to forward a request to an endpoint. */
export interface AttemptInfo {
  /** 1 for the first try, 2 for the first retry, ... */
  readonly attempt: number;
  /** The endpoint's address and port. */
  readonly address: string;
  readonly port: number;
  /** True when this hop uses mTLS (to another proxy). */
  readonly mtls: boolean;
  /** The identity the control plane says the endpoint has (checked against its certificate). */
  readonly identity?: string | undefined;
}

/** The route decision for a request. */
export interface RouteInfo {
  /** The matched route's name. */
  readonly route: string;
  /** The backend service the split picked. */
  readonly backend: string;
}

const KNOWN_METHODS = new Set([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'CONNECT',
  'OPTIONS',
  'TRACE',
  'PATCH',
]);

/** The semantic-convention method: known methods as is, others `_OTHER`. */
export function normalizeMethod(method: string | undefined): string {
  return method !== undefined && KNOWN_METHODS.has(method) ? method : '_OTHER';
}

/** The span name for a request: `{method}` per the HTTP conventions (`HTTP` for unknown methods). */
export function spanName(method: string | undefined): string {
  const m = normalizeMethod(method);
  return m === '_OTHER' ? 'HTTP' : m;
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The request's authority: HTTP/2 `:authority`, else `Host`. */
export function authorityOf(request: TracedRequest): string | undefined {
  return firstHeader(request.headers[':authority']) ?? firstHeader(request.headers.host);
}

/** Splits `host:port` (IPv6 in brackets) into host and port. */
export function splitAuthority(authority: string): { host: string; port: number | undefined } {
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(authority);
  if (m === null) return { host: authority, port: undefined };
  return { host: m[1] ?? authority, port: m[2] === undefined ? undefined : Number(m[2]) };
}

function setMethod(attributes: Attributes, method: string | undefined): void {
  const normalized = normalizeMethod(method);
  attributes[ATTR_HTTP_REQUEST_METHOD] = normalized;
  if (normalized === '_OTHER' && method !== undefined) attributes[ATTR_HTTP_REQUEST_METHOD_ORIGINAL] = method;
}

/** Attributes of the server span of a request arriving at the proxy. */
export function serverSpanAttributes(request: TracedRequest, connection: TracedConnection): Attributes {
  const attributes: Attributes = {
    [ATTR_URL_SCHEME]: 'http',
    [ATTR_NETWORK_PROTOCOL_VERSION]: request.httpVersion === '2.0' ? '2' : request.httpVersion,
    [ATTR_WEFT_DIRECTION]: connection.direction,
    [ATTR_WEFT_MTLS]: connection.mtls,
  };
  setMethod(attributes, request.method);
  const target = request.url ?? '/';
  const q = target.indexOf('?');
  attributes[ATTR_URL_PATH] = q === -1 ? target : target.slice(0, q);
  const authority = authorityOf(request);
  if (authority !== undefined) {
    const { host, port } = splitAuthority(authority);
    attributes[ATTR_SERVER_ADDRESS] = host;
    if (port !== undefined) attributes[ATTR_SERVER_PORT] = port;
  }
  const userAgent = firstHeader(request.headers['user-agent']);
  if (userAgent !== undefined) attributes[ATTR_USER_AGENT_ORIGINAL] = userAgent;
  if (connection.peerAddress !== undefined) attributes[ATTR_CLIENT_ADDRESS] = connection.peerAddress;
  if (connection.peerPort !== undefined) attributes[ATTR_CLIENT_PORT] = connection.peerPort;
  if (connection.peerIdentity !== undefined) attributes[ATTR_WEFT_PEER_IDENTITY] = connection.peerIdentity;
  return attributes;
}

/** Attributes of the client span of one attempt. */
export function clientSpanAttributes(
  request: TracedRequest,
  attempt: AttemptInfo,
  route: RouteInfo | undefined,
): Attributes {
  const authority = authorityOf(request) ?? `${attempt.address}:${attempt.port}`;
  const { host, port } = splitAuthority(authority);
  const attributes: Attributes = {
    [ATTR_SERVER_ADDRESS]: host,
    [ATTR_SERVER_PORT]: port ?? 80,
    [ATTR_URL_FULL]: `http://${authority}${request.url ?? '/'}`,
    [ATTR_NETWORK_PEER_ADDRESS]: attempt.address,
    [ATTR_NETWORK_PEER_PORT]: attempt.port,
    [ATTR_WEFT_ENDPOINT]: `${attempt.address}:${attempt.port}`,
    [ATTR_WEFT_ATTEMPT]: attempt.attempt,
    [ATTR_WEFT_MTLS]: attempt.mtls,
  };
  setMethod(attributes, request.method);
  if (attempt.attempt > 1) attributes[ATTR_HTTP_REQUEST_RESEND_COUNT] = attempt.attempt - 1;
  if (attempt.identity !== undefined) attributes[ATTR_WEFT_PEER_IDENTITY] = attempt.identity;
  if (route !== undefined) {
    attributes[ATTR_WEFT_ROUTE] = route.route;
    attributes[ATTR_WEFT_BACKEND_SERVICE] = route.backend;
  }
  return attributes;
}
