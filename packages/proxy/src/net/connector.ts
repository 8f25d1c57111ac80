/** Opens upstream connections: plain TCP to apps and egress, mTLS with identity checks to other proxies. */
import { connect as netConnect, type Socket } from 'node:net';
import {
  type ConnectionOptions,
  type PeerCertificate,
  type TLSSocket,
  connect as tlsConnect,
} from 'node:tls';
import { WeftError } from '@weft/core';
import type { UpstreamTarget } from '../layers/types.js';
import type { ProxyMetrics } from '../metrics/proxy-metrics.js';
import { spiffeIdOf } from '../tls/spiffe-peer.js';
import { MESH_ALPN, type TlsContexts } from '../tls/tls-contexts.js';
import { encodePreamble, type MeshProtocol } from './preamble.js';

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
  /** Resolves with a connected socket; for meshed targets the preamble has been written. */
  connect(target: UpstreamTarget, protocol: MeshProtocol): Promise<Socket>;
}

export interface ConnectorOptions {
  readonly tls: TlsContexts;
  readonly metrics: ProxyMetrics;
  readonly connectTimeoutMs: number;
}

/** The production connector. */
export class MeshConnector implements Connector {
  constructor(private readonly options: ConnectorOptions) {}

  connect(target: UpstreamTarget, protocol: MeshProtocol): Promise<Socket> {
    return target.meshedPort > 0 ? this.connectMeshed(target, protocol) : this.connectPlain(target);
  }

  private connectPlain(target: UpstreamTarget): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket = netConnect({
        host: target.address,
        port: target.port,
        allowHalfOpen: true,
        noDelay: true,
      });
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

  private connectMeshed(target: UpstreamTarget, protocol: MeshProtocol): Promise<Socket> {
    const context = this.options.tls.client();
    if (context === undefined) {
      this.count('no-certificate');
      return Promise.reject(new DialError('no-certificate', 'no workload certificate yet'));
    }
    const expected = target.identity;
    let mismatch: string | undefined;
    return new Promise((resolve, reject) => {
      const tlsOptions: ConnectionOptions & { allowHalfOpen: boolean } = {
        host: target.address,
        port: target.meshedPort,
        secureContext: context,
        ALPNProtocols: [MESH_ALPN],
        rejectUnauthorized: true,
        allowHalfOpen: true,
        checkServerIdentity: (_host: string, cert: PeerCertificate) => {
          const actual = spiffeIdOf(cert);
          if (actual === expected) return undefined;
          mismatch = actual ?? '(none)';
          return new Error(`server identity ${mismatch} is not the expected ${expected}`);
        },
      };
      // allowHalfOpen is honoured by tls.connect (it reaches the TLSSocket) but missing from its types.
      const socket: TLSSocket = tlsConnect(tlsOptions);
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
        // Resolve once the preamble is flushed: HTTP/2 takes over the native handle and must
        // not find a JS write still in progress on it.
        socket.write(encodePreamble({ protocol, port: target.port }), () => resolve(socket));
      });
    });
  }

  private count(reason: string): void {
    this.options.metrics.dialFailures.inc({ reason });
  }
}
