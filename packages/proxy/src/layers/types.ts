/** The request path: protocol-neutral requests flowing through a chain of `(next) => handler` layers. */
import type { WeftError } from '@weft/core';
import type { Destination, DestinationBackend } from '../discovery/resolver.js';
import type { RequestTelemetry } from '../telemetry/request-telemetry.js';

/** Who sent the request, as far as the proxy knows. */
export interface PeerInfo {
  /** The SPIFFE ID from a verified client certificate; undefined for plaintext peers. */
  readonly identity: string | undefined;
  /** The peer's IP address. */
  readonly address: string;
}

/** Where a request is sent: an app port, another proxy (meshed), or an address outside the mesh. */
export interface UpstreamTarget {
  readonly address: string;
  /** The app port on that workload (sent in the preamble when meshed). */
  readonly port: number;
  /** The SPIFFE ID the server must present ('' = not meshed: plain TCP). */
  readonly identity: string;
  /** The peer proxy's inbound listener port (0 = not meshed). */
  readonly meshedPort: number;
  /** Stable key for pooling: equal keys share connections. */
  readonly key: string;
}

/** Builds an UpstreamTarget with its pool key. */
export function upstreamTarget(address: string, port: number, identity = '', meshedPort = 0): UpstreamTarget {
  const key = meshedPort > 0 ? `${address}:${meshedPort}>${port}|${identity}` : `${address}:${port}`;
  return { address, port, identity, meshedPort, key };
}

/**
 * One HTTP request (HTTP/1.x or HTTP/2) as the layers see it. Layers read its metadata,
 * set `upstream`, and either call the next handler or answer it locally with `fail`.
 */
export interface ProxyRequest {
  readonly protocol: 'http1' | 'h2';
  readonly method: string;
  /** The request target (path and query). */
  readonly path: string;
  /** The Host header or :authority. */
  readonly authority: string;
  readonly peer: PeerInfo;
  /** 'outbound' (from the local app) or 'inbound' (from another proxy or a plaintext client). */
  readonly direction: 'outbound' | 'inbound';
  /** Outbound: the discovery name to resolve (an authority or ip:port). Inbound: ''. */
  readonly name: string;
  /** Where the request goes when the name is outside the mesh (outbound), or the app (inbound). */
  readonly egress: UpstreamTarget | undefined;
  /** The target port: the destination port outbound, the app port inbound. */
  readonly port: number;
  /** Monotonic start time in ms. */
  readonly startedAt: number;
  /** The value of request header `lower` (lowercase name). */
  header(lower: string): string | undefined;
  /** Set by the resolve layer (outbound, meshed destinations). */
  destination: Destination | undefined;
  /** Set by the route layer: the backend the request goes to. */
  backend: DestinationBackend | undefined;
  /** Set by the balancing layer (or fixed inbound); read by `forward`. */
  upstream: UpstreamTarget | undefined;
  /**
   * Set by the traffic layer before `forward`: told once how the upstream exchange began (the
   * response head, or a failure before one), for load balancing and outlier detection.
   */
  onUpstreamHead?: ((head: UpstreamHead) => void) | undefined;
  /** Set by the telemetry layer: spans and metrics of this request; protocol code reports to it. */
  telemetry: RequestTelemetry | undefined;
  /** Sends the request to `upstream` over the request's own protocol. */
  forward(upstream: UpstreamTarget): void;
  /** Answers locally with the status for `error` and a text body naming why. */
  fail(error: WeftError, extraHeaders?: readonly string[]): void;
}

/** How an upstream exchange began: a response head (with a trailers-only gRPC status), or a failure. */
export type UpstreamHead =
  | { readonly type: 'response'; readonly status: number; readonly grpcStatus?: number }
  | { readonly type: 'failed' }
  /** The client went away first. */
  | { readonly type: 'cancelled' };

/** Handles one request: forwards it or fails it. Never throws. */
export type Handler = (req: ProxyRequest) => void;

/** A middleware: wraps the next handler. */
export type Layer = (next: Handler) => Handler;

/** Composes layers outermost-first around a terminal handler. */
export function chain(layers: readonly Layer[], terminal: Handler): Handler {
  let handler = terminal;
  for (let i = layers.length - 1; i >= 0; i--) handler = layers[i]!(handler);
  return handler;
}

/** The terminal handler: forwards to the upstream chosen by the layers. */
export const forwardToUpstream: Handler = (req) => {
  if (req.upstream === undefined) throw new Error('forward reached without an upstream');
  req.forward(req.upstream);
};

/** Maps an error to its HTTP status: the one place for this mapping on the HTTP edge. */
export function statusForError(error: WeftError): number {
  switch (error.code) {
    case 'PERMISSION_DENIED':
      return 403;
    case 'UNAVAILABLE':
      return 503;
    case 'DEADLINE_EXCEEDED':
      return 504;
    case 'INVALID_ARGUMENT':
      return 400;
    case 'UNAUTHENTICATED':
      return 401;
    case 'RESOURCE_EXHAUSTED':
      return 503;
    case 'NOT_FOUND':
      return 404;
    default:
      return 502;
  }
}
