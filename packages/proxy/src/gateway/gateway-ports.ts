/**
 * The gateway's client-facing sockets: one server per configured port (HTTP: HTTP/1.1 and h2c
 * by prior knowledge; HTTPS: TLS with SNI and ALPN h2/http/1.1), bound and closed as the config
 * changes. A reload never drops connections: certificates are looked up per handshake (new ones
 * apply to new handshakes), a removed port stops accepting while its open connections finish,
 * and after TLS or detection each connection is handed to the proxy's own HTTP/1 and HTTP/2
 * code, with their limits and timeouts. HTTPS ports terminate TLS in weft's native addon when it
 * is built (native-tls.ts says why), else with node:tls; both behave the same.
 */
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket, type Server as TlsServer } from 'node:tls';
import { describeError } from '@weft/core';
import type { Logger } from '@weft/runtime';
import { Http1ServerConnection } from '../http1/server-connection.js';
import type { ProtocolSide } from '../listeners/runtime.js';
import { classify, detectionDone } from '../net/detect.js';
import { guard } from '../net/guard.js';
import { readPrefix } from '../net/read-prefix.js';
import { pickCertificate } from './certificates.js';
import type { CompiledCertificate, CompiledGateway, CompiledPort } from './compiled.js';
import type { GatewayMetrics } from './gateway-metrics.js';
import { type NativeContext, type NativeTlsServer, type NativeTlsSocket, nativeTls } from './native-tls.js';

const EMPTY = Buffer.alloc(0);
const ALPN = ['h2', 'http/1.1'];

export interface GatewayPortsOptions {
  /** Address every gateway port binds. */
  readonly host: string;
  /** Gateway listener port -> the port actually bound (0: any free one); unmapped ports bind as is. */
  readonly portMap: ReadonlyMap<number, number>;
  readonly side: ProtocolSide;
  /** The config in force (read per connection and per handshake). */
  readonly config: () => CompiledGateway;
  /** Applies the proxy's connection caps and accounting; false when the socket was refused. */
  readonly admit: (socket: Socket) => boolean;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
  readonly handshakeTimeoutMs: number;
  readonly detectTimeoutMs: number;
  readonly maxConnections: number;
}

interface BoundPort {
  readonly protocol: 'http' | 'https';
  readonly server: Server | TlsServer | NativeTlsServer;
  /** The port bound; 0 until listening. */
  bound: number;
  /** Why binding failed, if it did. */
  error: string;
}

export class GatewayPorts {
  private readonly servers = new Map<number, BoundPort>();
  private closed = false;

  constructor(private readonly o: GatewayPortsOptions) {}

  /** Binds ports the config added, closes the ones it removed, rebinds ports that changed protocol. */
  async reconcile(config: CompiledGateway): Promise<void> {
    if (this.closed) return;
    for (const [port, b] of this.servers) {
      const want = config.ports.get(port);
      if (want !== undefined && want.protocol === b.protocol) {
        // New handshakes without SNI get the new default; SNI handshakes read the config per handshake.
        if (want.protocol === 'https') this.setDefaultContext(b.server as TlsServer | NativeTlsServer, want);
        continue;
      }
      // Stops accepting; connections already open finish on their own.
      b.server.close();
      this.servers.delete(port);
      this.o.logger.info({ port }, 'gateway port closed');
    }
    const binds: Promise<void>[] = [];
    for (const [port, p] of config.ports) {
      if (this.servers.has(port)) continue;
      binds.push(this.bind(port, p));
    }
    await Promise.all(binds);
  }

  /** Listener port -> bound port, for ports that are listening. */
  bound(): Record<number, number> {
    const out: Record<number, number> = {};
    for (const [port, b] of this.servers) if (b.bound !== 0) out[port] = b.bound;
    return out;
  }

  /** Listener port -> why it could not be bound. */
  errors(): Record<number, string> {
    const out: Record<number, string> = {};
    for (const [port, b] of this.servers) if (b.error !== '') out[port] = b.error;
    return out;
  }

  /** Stops accepting on every port (open connections are drained by the proxy). */
  close(): void {
    this.closed = true;
    for (const b of this.servers.values()) b.server.close();
    this.servers.clear();
  }

  private bind(port: number, p: CompiledPort): Promise<void> {
    const bindPort = this.o.portMap.get(port) ?? port;
    if (p.protocol === 'https' && nativeTls() !== undefined) return this.bindNative(port, bindPort);
    const server = p.protocol === 'https' ? this.tlsServer(port) : this.plainServer(port);
    guard(server);
    server.maxConnections = this.o.maxConnections;
    server.on('drop', () => this.o.metrics.connectionsRefused.inc({ reason: 'max-connections' }));
    const entry: BoundPort = { protocol: p.protocol, server, bound: 0, error: '' };
    this.servers.set(port, entry);
    return new Promise((resolve) => {
      const onError = (err: Error) => {
        entry.error = describeError(err);
        this.o.logger.error(
          { port, bindPort, err: entry.error },
          'gateway port not bound; other ports keep serving',
        );
        resolve();
      };
      server.once('error', onError);
      server.listen(bindPort, this.o.host, () => {
        server.off('error', onError);
        entry.bound = (server.address() as AddressInfo).port;
        const tls = p.protocol === 'https' ? { tls: 'node' } : {};
        this.o.logger.info(
          { port, bound: entry.bound, protocol: p.protocol, ...tls },
          'gateway port listening',
        );
        resolve();
      });
    });
  }

  /** An HTTPS port in the native addon: bound synchronously; failures are reported as node's are. */
  private async bindNative(port: number, bindPort: number): Promise<void> {
    const front = nativeTls()!;
    const label = String(port);
    let server: NativeTlsServer;
    try {
      server = front.listen(
        {
          host: this.o.host,
          port: bindPort,
          handshakeTimeoutMs: this.o.handshakeTimeoutMs,
          maxConnections: this.o.maxConnections,
          alpn: ALPN,
        },
        {
          secureConnection: (socket) => this.nativeConnection(socket, port),
          failure: (reason) => {
            if (reason === 'max-connections' || reason === 'no-memory') {
              this.o.metrics.connectionsRefused.inc({ reason });
              return;
            }
            this.o.metrics.handshakes.inc({ port: label, result: 'failed' });
            this.o.metrics.handshakeFailures.inc({ port: label, reason });
          },
          servername: (name) => {
            const p = this.httpsPort(port);
            const cert = p === undefined ? undefined : pickCertificate(p, name);
            return cert === undefined ? undefined : this.nativeContext(cert);
          },
        },
      );
    } catch (err) {
      const entry: BoundPort = {
        protocol: 'https',
        server: closedNative,
        bound: 0,
        error: describeError(err),
      };
      this.servers.set(port, entry);
      this.o.logger.error(
        { port, bindPort, err: entry.error },
        'gateway port not bound; other ports keep serving',
      );
      return;
    }
    const entry: BoundPort = { protocol: 'https', server, bound: server.port, error: '' };
    this.servers.set(port, entry);
    this.setDefaultContext(server, this.httpsPort(port));
    this.o.logger.info(
      { port, bound: entry.bound, protocol: 'https', tls: 'native' },
      'gateway port listening',
    );
  }

  private nativeConnection(tls: NativeTlsSocket, port: number): void {
    const socket = tls.asSocket();
    guard(socket, () => socket.destroy());
    // Counted before admission, as on node:tls (whose admission comes before the handshake).
    this.o.metrics.handshakes.inc({ port: String(port), result: 'ok' });
    if (!this.o.admit(socket)) return;
    const servername = tls.servername === false ? '' : tls.servername;
    if (tls.alpnProtocol === 'h2') this.h2(socket, port, servername);
    else this.http1(socket, port, EMPTY, servername);
  }

  private httpsPort(port: number): CompiledPort | undefined {
    const p = this.o.config().ports.get(port);
    return p?.protocol === 'https' ? p : undefined;
  }

  /** The native context of a compiled certificate, made once (the compiler already validated the PEMs). */
  private readonly nativeContexts = new WeakMap<CompiledCertificate, NativeContext | null>();

  private nativeContext(cert: CompiledCertificate): NativeContext | undefined {
    let ctx = this.nativeContexts.get(cert);
    if (ctx === undefined) {
      try {
        ctx = nativeTls()!.context(cert.chainPem, cert.keyPem);
      } catch (err) {
        this.o.logger.error(
          { certificate: cert.name, err: describeError(err) },
          'certificate refused by OpenSSL',
        );
        ctx = null;
      }
      this.nativeContexts.set(cert, ctx);
    }
    return ctx ?? undefined;
  }

  private plainServer(port: number): Server {
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true }, (socket) => {
      guard(socket, () => socket.destroy());
      if (!this.o.admit(socket)) return;
      readPrefix(socket, detectionDone, this.o.detectTimeoutMs).then(
        ({ data, reason }) => {
          if (socket.destroyed) return;
          const kind = reason === 'enough' ? classify(data) : 'timeout';
          if (kind === 'http1') this.http1(socket, port, data);
          else if (kind === 'h2') {
            socket.unshift(data);
            this.h2(socket, port);
          } else {
            this.o.metrics.connectionsRefused.inc({
              reason: kind === 'timeout' ? 'detect-timeout' : 'not-http',
            });
            socket.destroy();
          }
        },
        () => socket.destroy(),
      );
    });
    return guard(server);
  }

  private tlsServer(port: number): TlsServer {
    const current = (): CompiledPort | undefined => this.httpsPort(port);
    const server = createTlsServer({
      ALPNProtocols: ALPN,
      handshakeTimeout: this.o.handshakeTimeoutMs,
      minVersion: 'TLSv1.2',
      // Looked up per handshake: a reload's certificates apply to the next handshake.
      SNICallback: (servername, cb) => {
        const p = current();
        const cert = p === undefined ? undefined : pickCertificate(p, servername);
        if (cert === undefined) cb(new Error(`no certificate on port ${port}`));
        else cb(null, cert.context);
      },
    });
    guard(server);
    this.setDefaultContext(server, current());
    server.on('connection', (socket: Socket) => {
      this.o.admit(socket);
    });
    server.on('secureConnection', (socket: TLSSocket) => {
      guard(socket, () => socket.destroy());
      this.o.metrics.handshakes.inc({ port: String(port), result: 'ok' });
      const servername = typeof socket.servername === 'string' ? socket.servername : '';
      if (socket.alpnProtocol === 'h2') this.h2(socket, port, servername);
      else this.http1(socket, port, EMPTY, servername);
    });
    server.on('tlsClientError', (err: Error & { code?: string }, socket: TLSSocket) => {
      this.o.metrics.handshakes.inc({ port: String(port), result: 'failed' });
      this.o.metrics.handshakeFailures.inc({ port: String(port), reason: handshakeFailure(err) });
      socket.destroy();
    });
    return server;
  }

  private readonly defaults = new WeakMap<TlsServer | NativeTlsServer, unknown>();

  private setDefaultContext(server: TlsServer | NativeTlsServer, p: CompiledPort | undefined): void {
    const cert = p === undefined ? undefined : pickCertificate(p, '');
    if (cert === undefined || this.defaults.get(server) === cert) return;
    this.defaults.set(server, cert);
    if ('setDefault' in server) server.setDefault(this.nativeContext(cert) ?? null);
    else server.setSecureContext({ cert: cert.chainPem, key: cert.keyPem, minVersion: 'TLSv1.2' });
  }

  private http1(socket: Socket, port: number, initial: Buffer, servername = ''): void {
    const conn = new Http1ServerConnection(socket, this.o.side.http1, {
      peer: { identity: undefined, address: socket.remoteAddress ?? '' },
      name: '',
      port,
      egress: undefined,
      servername,
    });
    conn.start(initial);
  }

  private h2(socket: Socket, port: number, servername = ''): void {
    this.o.side.h2.serve(socket, {
      peer: { identity: undefined, address: socket.remoteAddress ?? '' },
      name: '',
      port,
      egress: undefined,
      direction: 'outbound',
      servername,
    });
  }
}

/** Stands in for a native port that could not be bound (nothing to close). */
const closedNative = { close: () => {} } as unknown as NativeTlsServer;

/** A bounded label for why a handshake failed. */
function handshakeFailure(err: Error & { code?: string }): string {
  const code = err.code ?? '';
  if (code === 'ERR_TLS_HANDSHAKE_TIMEOUT') return 'timeout';
  if (code === 'ECONNRESET' || code === 'EPIPE') return 'reset';
  if (code.startsWith('ERR_SSL_')) return code.slice(8).toLowerCase();
  if (err.message.startsWith('no certificate')) return 'no-certificate';
  return 'other';
}
