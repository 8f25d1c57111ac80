/**
 * Inbound connections: mTLS from other proxies (TLS 1.3, client certificate required; the
 * peer identity is its SPIFFE ID; an 8-byte preamble names the app port and protocol) or,
 * in permissive mode, plaintext told apart by its first bytes and marked unauthenticated.
 */
import type { Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket, type Server as TlsServer } from 'node:tls';
import { decideAuthz } from '../authz/decide.js';
import { Http1ServerConnection } from '../http1/server-connection.js';
import { classify, detectionDone } from '../net/detect.js';
import { guard } from '../net/guard.js';
import { decodePreamble, type MeshProtocol, PREAMBLE_LENGTH } from '../net/preamble.js';
import { readPrefix } from '../net/read-prefix.js';
import { upstreamTarget } from '../net/upstream-target.js';
import { relayOpaque } from '../tcp/splice-relay.js';
import type { CertificateMaterial } from '../tls/certificate-source.js';
import { peerIdentity } from '../tls/spiffe-peer.js';
import { MESH_ALPN, WEFT2_ALPN } from '../tls/tls-contexts.js';
import { weft2Metrics } from '../transport/weft2-metrics.js';
import { Weft2Session } from '../transport/weft2-session.js';
import type { Weft2Stream } from '../transport/weft2-stream.js';
import { inboundPortKind, type PortKind, preambleMismatch, refuseL7 } from './port-kind.js';
import type { ProxyRuntime } from './runtime.js';

function refuse(rt: ProxyRuntime, socket: Socket, reason: string): void {
  rt.metrics.connectionsRefused.inc({ listener: 'inbound', reason });
  socket.destroy();
}

/** The app address for a service port: the --inbound mapping, else 127.0.0.1 at that port. */
function appFor(rt: ProxyRuntime, port: number): { host: string; port: number } {
  const m = rt.options.inbound.find((i) => i.servicePort === port);
  return m === undefined ? { host: '127.0.0.1', port } : { host: m.appHost, port: m.appPort };
}

function mtlsMode(rt: ProxyRuntime): 'strict' | 'permissive' {
  const mode = rt.policies.inboundPolicy()?.mtlsMode;
  if (mode === 'MTLS_MODE_STRICT') return 'strict';
  if (mode === 'MTLS_MODE_PERMISSIVE') return 'permissive';
  return rt.options.defaultMtlsMode;
}

/** The kind of inbound `port` under the current policy (see port-kind.ts). */
function kindOf(rt: ProxyRuntime, port: number): PortKind {
  return inboundPortKind(rt.policies.inboundPolicy(), rt.options.opaquePorts, port);
}

/** Hands a connection whose target port, protocol and peer are known to the right server. */
function serve(
  rt: ProxyRuntime,
  socket: Socket,
  protocol: MeshProtocol,
  port: number,
  identity: string | undefined,
  initial: Buffer,
): void {
  const app = appFor(rt, port);
  const egress = upstreamTarget(app.host, app.port);
  const peer = { identity, address: socket.remoteAddress ?? '' };
  if (protocol === 'http1') {
    new Http1ServerConnection(socket, rt.inbound.http1, { peer, name: '', port, egress }).start(initial);
    return;
  }
  if (protocol === 'h2') {
    if (initial.length > 0) socket.unshift(initial);
    rt.inbound.h2.serve(socket, { peer, name: '', port, egress, direction: 'inbound' });
    return;
  }
  const decision = decideAuthz(rt.policies.inboundPolicy(), { identity, port });
  if (decision.type === 'deny') {
    rt.metrics.authzDenied.inc({ direction: 'inbound', policy: decision.policy });
    refuse(rt, socket, 'authz');
    return;
  }
  rt.connector.connect(egress, 'opaque').then(
    (upstream) => {
      if (socket.destroyed) {
        upstream.destroy();
        return;
      }
      if (initial.length > 0) upstream.write(initial);
      relayOpaque(socket, upstream);
    },
    () => socket.destroy(),
  );
}

/**
 * The TLS server that inbound mTLS connections are handed to (after their first bytes were
 * read for detection and unshifted back). Created with the first certificate; rotated in place.
 */
export class InboundTls {
  private server: TlsServer | undefined;
  /** Open weft.2 connections (for drain). */
  private readonly sessions = new Set<Weft2Session>();

  constructor(private readonly rt: ProxyRuntime) {
    rt.tls.onRotate((m) => this.server?.setSecureContext(this.secureOptions(m)));
  }

  private secureOptions(m: CertificateMaterial) {
    return { key: m.key, cert: m.certChain, ca: m.trustBundle, minVersion: 'TLSv1.3' as const };
  }

  private ensure(): TlsServer | undefined {
    if (this.server !== undefined) return this.server;
    const m = this.rt.tls.material();
    if (m === undefined) return undefined;
    const rt = this.rt;
    const server = createTlsServer({
      ...this.secureOptions(m),
      requestCert: true,
      rejectUnauthorized: true,
      // Our preference first: a client that offers weft.2 gets it; a weft.1-only client gets weft.1.
      ALPNProtocols: rt.options.weft2 ? [WEFT2_ALPN, MESH_ALPN] : [MESH_ALPN],
      allowHalfOpen: true,
      handshakeTimeout: rt.options.connectTimeoutMs,
    });
    guard(server);
    server.on('tlsClientError', (_err, socket) => {
      rt.metrics.transport.tlsHandshake('server', 'failure', 'handshake');
      refuse(rt, socket, 'handshake');
    });
    server.on('secureConnection', (tlsSocket: TLSSocket) => {
      guard(tlsSocket, () => tlsSocket.destroy());
      rt.metrics.transport.tlsHandshake('server', 'ok');
      const identity = peerIdentity(tlsSocket);
      const weft2 = tlsSocket.alpnProtocol === WEFT2_ALPN && rt.options.weft2;
      if (identity === undefined || (tlsSocket.alpnProtocol !== MESH_ALPN && !weft2)) {
        refuse(rt, tlsSocket, identity === undefined ? 'no-identity' : 'alpn');
        return;
      }
      if (weft2) {
        this.serveWeft2(tlsSocket, identity);
        return;
      }
      readPrefix(tlsSocket, (d) => d.length >= PREAMBLE_LENGTH, rt.options.detectTimeoutMs).then(
        ({ data }) => {
          const r = decodePreamble(data);
          if (r.type === 'invalid') {
            refuse(rt, tlsSocket, 'preamble');
            return;
          }
          const { port, protocol } = r.preamble;
          const mismatch = preambleMismatch(
            rt.policies.inboundPolicy(),
            rt.options.opaquePorts,
            port,
            protocol,
          );
          if (mismatch !== undefined) {
            refuseL7(rt, tlsSocket, 'inbound', mismatch, Buffer.alloc(0));
            return;
          }
          serve(
            rt,
            tlsSocket,
            r.preamble.protocol,
            r.preamble.port,
            identity,
            data.subarray(PREAMBLE_LENGTH),
          );
        },
        () => tlsSocket.destroy(),
      );
    });
    this.server = server;
    return server;
  }

  /**
   * A weft.2 connection: each stream is served as a weft.1 connection would be after its
   * preamble. The peer identity is the TLS session's; streams carry HTTP/1 only.
   */
  private serveWeft2(tlsSocket: TLSSocket, identity: string): void {
    const rt = this.rt;
    const session: Weft2Session = new Weft2Session(tlsSocket, {
      role: 'server',
      metrics: weft2Metrics(rt.metrics.registry),
      idleMs: rt.options.hardening.idleTimeoutMs,
      onStream: (stream: Weft2Stream, preamble) => {
        // A stream is used exactly like the TLS socket of a weft.1 connection (see Weft2Stream).
        const socket = guard(stream) as unknown as Socket;
        if (preamble.protocol !== 'http1') {
          refuse(rt, socket, 'weft2-not-http1');
          return;
        }
        const mismatch = preambleMismatch(
          rt.policies.inboundPolicy(),
          rt.options.opaquePorts,
          preamble.port,
          'http1',
        );
        if (mismatch !== undefined) {
          refuseL7(rt, socket, 'inbound', mismatch, Buffer.alloc(0));
          return;
        }
        serve(rt, socket, 'http1', preamble.port, identity, Buffer.alloc(0));
      },
      onClose: () => this.sessions.delete(session),
    });
    this.sessions.add(session);
  }

  /** Draining: every weft.2 connection sends GOAWAY and closes once its streams have finished. */
  drain(): void {
    for (const session of this.sessions) session.goAway();
  }

  /** Hands `socket` (first bytes in `initial`) to the TLS server. */
  accept(socket: Socket, initial: Buffer): void {
    const server = this.ensure();
    if (server === undefined) {
      refuse(this.rt, socket, 'no-certificate');
      return;
    }
    socket.unshift(initial);
    server.emit('connection', socket);
  }
}

function servePlaintext(rt: ProxyRuntime, socket: Socket, initial: Buffer, timedOut: boolean): void {
  if (mtlsMode(rt) === 'strict') {
    refuse(rt, socket, 'plaintext-strict');
    return;
  }
  let port: number | undefined;
  const dst = rt.originalDst?.(socket);
  if (dst !== undefined && dst.port !== socket.localPort) port = dst.port;
  else if (rt.options.inbound.length === 1) port = rt.options.inbound[0]!.servicePort;
  if (port === undefined) {
    refuse(rt, socket, 'unknown-target-port');
    return;
  }
  const portKind = kindOf(rt, port);
  if (portKind === 'opaque') {
    serve(rt, socket, 'opaque', port, undefined, initial);
    return;
  }
  const detected = timedOut ? 'timeout' : classify(initial);
  if (detected === 'http1' || detected === 'h2') {
    serve(rt, socket, detected, port, undefined, initial);
    return;
  }
  // Never a silent opaque fallback on a port whose rules need HTTP.
  if (portKind === 'l7') {
    refuseL7(rt, socket, 'inbound', detected === 'timeout' ? 'detect-timeout' : 'not-http', initial);
    return;
  }
  serve(rt, socket, 'opaque', port, undefined, initial);
}

/** Handles one inbound connection (paused, nothing read yet). */
export function handleInbound(rt: ProxyRuntime, mtls: InboundTls, socket: Socket): void {
  guard(socket, () => socket.destroy());
  // Intercepted plaintext for an opaque port (server-speaks-first): never wait for bytes.
  const dst = rt.originalDst?.(socket);
  if (dst !== undefined && dst.port !== socket.localPort && kindOf(rt, dst.port) === 'opaque') {
    if (mtlsMode(rt) === 'strict') refuse(rt, socket, 'plaintext-strict');
    else serve(rt, socket, 'opaque', dst.port, undefined, Buffer.alloc(0));
    return;
  }
  readPrefix(socket, (d) => d[0] === 0x16 || detectionDone(d), rt.options.detectTimeoutMs).then(
    ({ data, reason }) => {
      if (socket.destroyed) return;
      if (data.length > 0 && data[0] === 0x16) mtls.accept(socket, data);
      else if (data.length === 0 && reason === 'end') socket.destroy();
      else servePlaintext(rt, socket, data, reason !== 'enough');
    },
    () => socket.destroy(),
  );
}
