/**
 * Span attributes of proxied requests: the OpenTelemetry HTTP semantic conventions plus
 * weft's own (`weft.*`). Pure functions, called only for sampled requests.
 */
import type { Attributes } from '@opentelemetry/api';
import {
  ATTR_CLIENT_ADDRESS,
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

/** Who sent the request. */
export interface TracedPeer {
  /** The SPIFFE ID from a verified client certificate (the request came over mTLS). */
  readonly identity: string | undefined;
  readonly address: string;
}

/**
 * The request as it arrived. The proxy's `Exchange` satisfies it, so a layer passes its
 * request as is: nothing but the trace headers is read unless the request is sampled.
 */
export interface TracedRequest {
  readonly protocol: 'http1' | 'h2';
  readonly method: string;
  /** The request target: path and query. */
  readonly path: string;
  /** Host header or :authority. */
  readonly authority: string;
  readonly direction: Direction;
  readonly peer: TracedPeer;
  /** The value of request header `lower` (a lowercase name). */
  header(lower: string): string | undefined;
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
export function serverSpanAttributes(request: TracedRequest): Attributes {
  const attributes: Attributes = {
    [ATTR_URL_SCHEME]: 'http',
    [ATTR_NETWORK_PROTOCOL_VERSION]: request.protocol === 'h2' ? '2' : '1.1',
    [ATTR_WEFT_DIRECTION]: request.direction,
    [ATTR_WEFT_MTLS]: request.peer.identity !== undefined,
    [ATTR_CLIENT_ADDRESS]: request.peer.address,
  };
  setMethod(attributes, request.method);
  const target = request.path;
  const q = target.indexOf('?');
  attributes[ATTR_URL_PATH] = q === -1 ? target : target.slice(0, q);
  if (request.authority !== '') {
    const { host, port } = splitAuthority(request.authority);
    attributes[ATTR_SERVER_ADDRESS] = host;
    if (port !== undefined) attributes[ATTR_SERVER_PORT] = port;
  }
  const userAgent = request.header('user-agent');
  if (userAgent !== undefined) attributes[ATTR_USER_AGENT_ORIGINAL] = userAgent;
  if (request.peer.identity !== undefined) attributes[ATTR_WEFT_PEER_IDENTITY] = request.peer.identity;
  return attributes;
}

/** Attributes of the client span of one attempt. */
export function clientSpanAttributes(
  request: TracedRequest,
  attempt: AttemptInfo,
  route: RouteInfo | undefined,
): Attributes {
  const authority = request.authority === '' ? `${attempt.address}:${attempt.port}` : request.authority;
  const { host, port } = splitAuthority(authority);
  const attributes: Attributes = {
    [ATTR_SERVER_ADDRESS]: host,
    [ATTR_SERVER_PORT]: port ?? 80,
    [ATTR_URL_FULL]: `http://${authority}${request.path}`,
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
