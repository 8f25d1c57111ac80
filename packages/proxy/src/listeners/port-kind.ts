/**
 * Which ports may be relayed as opaque TCP. A port with HTTP-level rules, or one the control
 * plane declared HTTP, HTTP/2 or gRPC, is never relayed opaque: a connection that is not
 * HTTP (detection timed out, bytes that are not HTTP, or a preamble saying "opaque") is
 * refused and counted. Only a port declared opaque skips HTTP.
 */
import type { Socket } from 'node:net';
import type { Destination, InboundPolicy } from '../discovery/resolver.js';
import { serializeLocalResponse } from '../http1/serialize.js';
import type { MeshProtocol } from '../net/preamble.js';
import type { ProxyRuntime } from './runtime.js';

/** 'opaque': relay without HTTP; 'l7': HTTP only; 'detect': HTTP if it looks like it, else opaque. */
export type PortKind = 'opaque' | 'l7' | 'detect';

type Protocol = Destination['protocol'];

/** True for the protocols that carry HTTP. */
export function isHttpProtocol(p: Protocol | undefined): boolean {
  return p === 'PROTOCOL_HTTP' || p === 'PROTOCOL_HTTP2' || p === 'PROTOCOL_GRPC';
}

/** True when some authorization rule matches on method or path at `port`. */
export function hasHttpRules(policy: InboundPolicy | undefined, port: number): boolean {
  if (policy === undefined) return false;
  return policy.rules.some((r) =>
    r.to.some(
      (t) => (t.methods.length > 0 || t.paths.length > 0) && (t.ports.length === 0 || t.ports.includes(port)),
    ),
  );
}

/** What the control plane declared for inbound `port` (undefined when nothing). */
export function declaredInbound(policy: InboundPolicy | undefined, port: number): Protocol | undefined {
  const p = policy?.ports.find((x) => x.port === port)?.protocol;
  return p === 'PROTOCOL_UNSPECIFIED' ? undefined : p;
}

/**
 * The kind of inbound `port`: declared TCP or a configured opaque port is opaque (its
 * connection-level authorization treats HTTP-only Deny rules as matching); declared HTTP or
 * any HTTP rule makes it L7; otherwise detection decides.
 */
export function inboundPortKind(
  policy: InboundPolicy | undefined,
  opaquePorts: ReadonlySet<number>,
  port: number,
): PortKind {
  const declared = declaredInbound(policy, port);
  if (declared === 'PROTOCOL_TCP') return 'opaque';
  if (isHttpProtocol(declared) || hasHttpRules(policy, port)) return 'l7';
  return opaquePorts.has(port) ? 'opaque' : 'detect';
}

/**
 * Why a preamble's protocol cannot be served on `port`, or undefined when it can: an L7 port
 * never takes "opaque", and a port the control plane declared TCP never takes HTTP.
 */
export function preambleMismatch(
  policy: InboundPolicy | undefined,
  opaquePorts: ReadonlySet<number>,
  port: number,
  protocol: MeshProtocol,
): string | undefined {
  const kind = inboundPortKind(policy, opaquePorts, port);
  if (kind === 'l7' && protocol === 'opaque') return 'preamble-opaque-on-l7-port';
  if (declaredInbound(policy, port) === 'PROTOCOL_TCP' && protocol !== 'opaque')
    return 'preamble-http-on-tcp-port';
  return undefined;
}

/** True when `data` (the first bytes) could be the start of an HTTP/1 request line. */
export function looksLikeHttp(data: Buffer): boolean {
  if (data.length === 0) return false;
  for (let i = 0; i < data.length && i <= 24; i++) {
    const c = data[i]!;
    if (c === 0x20) return i > 0;
    if (!((c >= 0x41 && c <= 0x5a) || c === 0x2d || c === 0x5f)) return false;
  }
  return true;
}

/**
 * Refuses a connection that would have been relayed opaque to an L7 port: 400 when its first
 * bytes look like HTTP, else closed. Counted by listener and reason.
 */
export function refuseL7(
  rt: ProxyRuntime,
  socket: Socket,
  listener: 'inbound' | 'outbound',
  reason: string,
  initial: Buffer,
): void {
  rt.metrics.l7Refused.inc({ listener, reason });
  rt.metrics.connectionsRefused.inc({ listener, reason: 'l7-not-http' });
  if (looksLikeHttp(initial) && !socket.destroyed) {
    socket.end(serializeLocalResponse(400, 'this port only accepts HTTP requests\n', true), () =>
      socket.destroy(),
    );
    return;
  }
  socket.destroy();
}
