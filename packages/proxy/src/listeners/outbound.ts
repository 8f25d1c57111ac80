/**
 * Outbound connections from the local app (transparent on 7140, or an explicit upstream
 * listener): detect the protocol from the first bytes, then serve HTTP/1, HTTP/2 or relay
 * opaque TCP. Opaque ports and destinations known to be TCP skip detection, so
 * server-speaks-first protocols never stall.
 */
import type { Socket } from 'node:net';
import { Http1ServerConnection } from '../http1/server-connection.js';
import { classify, detectionDone } from '../net/detect.js';
import { guard } from '../net/guard.js';
import { readPrefix } from '../net/read-prefix.js';
import { type UpstreamTarget, upstreamTarget } from '../net/upstream-target.js';
import { opaqueOutbound } from '../tcp/opaque-outbound.js';
import type { ProxyRuntime } from './runtime.js';

const EMPTY = Buffer.alloc(0);

/** Where an outbound connection is headed. */
export interface OutboundTarget {
  /** The discovery name (an authority or ip:port). */
  readonly name: string;
  readonly port: number;
  /** The direct address, used when the name is outside the mesh. */
  readonly egress: UpstreamTarget | undefined;
}

/** Splits "host:port" (IPv6 in brackets allowed). */
export function splitHostPort(authority: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(authority);
  if (m === null) return undefined;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return undefined;
  return { host: (m[1] ?? m[2])!, port };
}

/** The target of a connection to an explicit upstream listener for `authority`. */
export function upstreamListenerTarget(authority: string): OutboundTarget {
  const hp = splitHostPort(authority);
  return {
    name: authority,
    port: hp?.port ?? 0,
    egress: hp === undefined ? undefined : upstreamTarget(hp.host, hp.port),
  };
}

/** Handles one outbound client connection (paused, nothing read yet). */
export function handleOutbound(rt: ProxyRuntime, socket: Socket, target: OutboundTarget): void {
  const { name, port, egress } = target;
  guard(socket, () => socket.destroy());
  if (rt.options.opaquePorts.has(port)) {
    opaqueOutbound(rt, socket, EMPTY, name, egress);
    return;
  }
  const known = rt.resolver.lookup(name);
  if (known?.type === 'destination' && known.destination.protocol === 'PROTOCOL_TCP') {
    opaqueOutbound(rt, socket, EMPTY, name, egress);
    return;
  }
  readPrefix(socket, detectionDone, rt.options.detectTimeoutMs).then(
    ({ data, reason }) => {
      if (socket.destroyed) return;
      const kind = reason === 'enough' ? classify(data) : 'timeout';
      if (kind === 'http1') {
        const conn = new Http1ServerConnection(socket, rt.outbound.http1, {
          peer: { identity: undefined, address: socket.remoteAddress ?? '' },
          name,
          port,
          egress,
        });
        conn.start(data);
      } else if (kind === 'h2') {
        socket.unshift(data);
        rt.outbound.h2.serve(socket, {
          peer: { identity: undefined, address: socket.remoteAddress ?? '' },
          name,
          port,
          egress,
          direction: 'outbound',
        });
      } else {
        opaqueOutbound(rt, socket, data, name, egress, kind === 'timeout' ? 'detect-timeout' : 'not-http');
      }
    },
    () => socket.destroy(),
  );
}

/** Handles a connection to the transparent listener: the target comes from SO_ORIGINAL_DST. */
export function handleTransparent(rt: ProxyRuntime, socket: Socket): void {
  const dst = rt.originalDst?.(socket);
  if (dst === undefined || (dst.port === socket.localPort && dst.address === socket.localAddress)) {
    rt.metrics.connectionsRefused.inc({ listener: 'outbound', reason: 'no-original-destination' });
    socket.destroy();
    return;
  }
  const name = dst.address.includes(':') ? `[${dst.address}]:${dst.port}` : `${dst.address}:${dst.port}`;
  handleOutbound(rt, socket, { name, port: dst.port, egress: upstreamTarget(dst.address, dst.port) });
}
