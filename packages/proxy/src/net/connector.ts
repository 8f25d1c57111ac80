/** Opens upstream connections: plain TCP to apps and egress, mTLS with identity checks to other proxies. */
import { type NetConnectOpts, connect as netConnect, type Socket } from 'node:net';
import {
  type ConnectionOptions,
  type PeerCertificate,
  type TLSSocket,
  connect as tlsConnect,
} from 'node:tls';
import { WeftError } from '@weft/core';
import type { ProxyMetrics } from '../telemetry/proxy-metrics.js';
import { spiffeIdOf } from '../tls/spiffe-peer.js';
import { MESH_ALPN, type TlsContexts } from '../tls/tls-contexts.js';
import { Weft2Client } from '../transport/weft2-client.js';
import { weft2Metrics } from '../transport/weft2-metrics.js';
import { guard } from './guard.js';
import { encodePreamble, type MeshProtocol } from './preamble.js';
import type { UpstreamTarget } from './upstream-target.js';

/** See SOCKET_HWM in proxy.ts (kept here to avoid an import cycle). */
const SOCKET_HWM = 256 * 1024;

/** A dial error with the reason counted in metrics. */
export class DialError extends WeftError {
  constructor(
    readonly reason: 'refused' | 'identity-mismatch' | 'tls' | 'no-certificate' | 'timeout',
    message: string,
    cause?: unknown,
  ) {
    super('UNAVAILABLE', message, { cause });
    this.name = 'DialError';
  }
}

/** Dials upstream targets. Injected into pools and tunnels so tests can substitute it. */
export interface Connector {
  /**
   * Resolves with a connected socket; for meshed targets the preamble has been written.
   * With `reader`, a plain-TCP socket delivers its bytes to `reader.onData` (a copy per read)
   * instead of 'data' events, skipping the Readable stream machinery on the hot path;
   * TLS sockets ignore it and emit 'data' as usual.
   */
  connect(target: UpstreamTarget, protocol: MeshProtocol, reader?: SocketReader): Promise<Socket>;
}

/** Receives the bytes of a socket opened with a reader (see Connector.connect). */
export interface SocketReader {
  onData: (chunk: Buffer) => void;
}

/** One read buffer shared by every reader-mode socket: each read is copied out at once. */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

export interface ConnectorOptions {
  readonly tls: TlsContexts;
  readonly metrics: ProxyMetrics;
  readonly connectTimeoutMs: number;
  /**
   * Offer ALPN weft.2 to other proxies and carry HTTP/1 on multiplexed weft.2 streams (default
   * true). False: every connection is weft.1, as before weft.2 existed.
   */
  readonly weft2?: boolean;
  /** A weft.2 connection without streams closes after this long (default 60 s). */
  readonly weft2IdleMs?: number;
}

/** The production connector. */
export class MeshConnector implements Connector {
  private readonly weft2: Weft2Client | undefined;

  constructor(private readonly options: ConnectorOptions) {
    this.weft2 =
      options.weft2 === false
        ? undefined
        : new Weft2Client({
            dial: (target, alpn) => this.handshake(target, alpn),
            tls: options.tls,
            metrics: weft2Metrics(options.metrics.registry),
            idleMs: options.weft2IdleMs ?? 60_000,
            weft1MemoryMs: 60_000,
          });
  }

  connect(target: UpstreamTarget, protocol: MeshProtocol, reader?: SocketReader): Promise<Socket> {
    if (target.meshedPort === 0) return this.connectPlain(target, reader);
    // HTTP/1 rides weft.2 streams; HTTP/2 and opaque TCP keep their own weft.1 connections.
    if (protocol === 'http1' && this.weft2 !== undefined) return this.weft2.connect(target);
    return this.connectMeshed(target, protocol);
  }

  /** Closes weft.2 connections as their streams finish (proxy shutdown). */
  close(): void {
    this.weft2?.close();
  }

  private connectPlain(target: UpstreamTarget, reader?: SocketReader): Promise<Socket> {
    return new Promise((resolve, reject) => {
      // highWaterMark reaches the Socket's stream options at runtime; @types/node omits it.
      const options: NetConnectOpts & { highWaterMark: number } = {
        host: target.address,
        port: target.port,
        allowHalfOpen: true,
        noDelay: true,
        highWaterMark: SOCKET_HWM,
        ...(reader === undefined
          ? {}
          : {
              onread: {
                buffer: READ_BUFFER,
                callback: (n: number, buf: Uint8Array) => {
                  const chunk = Buffer.allocUnsafe(n);
                  chunk.set(buf.subarray(0, n));
                  reader.onData(chunk);
                  return true;
                },
              },
            }),
      };
      const socket = guard(netConnect(options));
      const timer = setTimeout(() => {
        socket.destroy();
        this.count('timeout');
        reject(new DialError('timeout', `connect to ${target.address}:${target.port} timed out`));
      }, this.options.connectTimeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', onError);
        this.options.metrics.transport.dialed(false, socket);
        resolve(socket);
      });
      const onError = (err: Error) => {
        clearTimeout(timer);
        this.count('refused');
        reject(
          new DialError('refused', `connect to ${target.address}:${target.port} failed: ${err.message}`, err),
        );
      };
      socket.once('error', onError);
    });
  }

  private async connectMeshed(target: UpstreamTarget, protocol: MeshProtocol): Promise<Socket> {
    const socket = await this.handshake(target, [MESH_ALPN]);
    // Resolve once the preamble is flushed: HTTP/2 takes over the native handle and must
    // not find a JS write still in progress on it.
    return new Promise((resolve) => {
      socket.write(encodePreamble({ protocol, port: target.port }), () => resolve(socket));
    });
  }

  /** An mTLS connection to another proxy offering `alpn`, resolved once the peer's identity checked out. */
  private handshake(target: UpstreamTarget, alpn: readonly string[]): Promise<TLSSocket> {
    const context = this.options.tls.client();
    if (context === undefined) {
      this.count('no-certificate');
      return Promise.reject(new DialError('no-certificate', 'no workload certificate yet'));
    }
    const expected = target.identity;
    let mismatch: string | undefined;
    return new Promise((resolve, reject) => {
      const tlsOptions: ConnectionOptions & { allowHalfOpen: boolean; highWaterMark: number } = {
        host: target.address,
        port: target.meshedPort,
        secureContext: context,
        ALPNProtocols: [...alpn],
        rejectUnauthorized: true,
        allowHalfOpen: true,
        highWaterMark: SOCKET_HWM,
        checkServerIdentity: (_host: string, cert: PeerCertificate) => {
          const actual = spiffeIdOf(cert);
          if (actual === expected) return undefined;
          mismatch = actual ?? '(none)';
          return new Error(`server identity ${mismatch} is not the expected ${expected}`);
        },
      };
      // allowHalfOpen and highWaterMark are honoured by tls.connect but missing from its types.
      const socket: TLSSocket = guard(tlsConnect(tlsOptions));
      let tcpConnected = false;
      socket.once('connect', () => {
        tcpConnected = true;
      });
      const timer = setTimeout(() => {
        socket.destroy();
        this.count('timeout');
        if (tcpConnected) this.options.metrics.transport.tlsHandshake('client', 'failure', 'timeout');
        reject(new DialError('timeout', `mTLS connect to ${target.address}:${target.meshedPort} timed out`));
      }, this.options.connectTimeoutMs);
      const onError = (err: Error) => {
        clearTimeout(timer);
        if (tcpConnected) {
          const reason = mismatch !== undefined ? 'identity-mismatch' : 'tls';
          this.options.metrics.transport.tlsHandshake('client', 'failure', reason);
        }
        if (mismatch !== undefined) {
          this.options.metrics.identityMismatch.inc({ expected });
          this.count('identity-mismatch');
          reject(
            new DialError(
              'identity-mismatch',
              `refused ${target.address}:${target.meshedPort}: it presented ${mismatch}, expected ${expected}`,
              err,
            ),
          );
          return;
        }
        this.count('tls');
        reject(
          new DialError('tls', `mTLS to ${target.address}:${target.meshedPort} failed: ${err.message}`, err),
        );
      };
      socket.once('error', onError);
      socket.once('secureConnect', () => {
        clearTimeout(timer);
        socket.off('error', onError);
        this.options.metrics.transport.tlsHandshake('client', 'ok');
        this.options.metrics.transport.dialed(true, socket);
        socket.setNoDelay(true);
        resolve(socket);
      });
    });
  }

  private count(reason: string): void {
    this.options.metrics.dialFailures.inc({ reason });
  }
}
