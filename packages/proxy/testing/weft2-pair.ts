/**
 * Real mTLS connections on loopback for weft.2 tests: a server and client socket pair that
 * negotiated ALPN weft.2 with test SPIFFE certificates, to wrap in sessions or drive raw.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { connect, createServer, type Server, type TLSSocket } from 'node:tls';
import { guard } from '../src/net/guard.js';
import { MetricsRegistry } from '../src/telemetry/metrics-registry.js';
import { type Weft2Metrics, weft2Metrics } from '../src/transport/weft2-metrics.js';
import { createTestCa, type TestCa } from './certs.js';

export interface TlsPairs {
  /** A new connected pair: `client` dialed `server` (both TLS 1.3, ALPN weft.2). */
  pair(): Promise<{ client: TLSSocket; server: TLSSocket }>;
  readonly metrics: Weft2Metrics;
  readonly registry: MetricsRegistry;
  /** The protocol-error count for `reason`. */
  errors(reason: string): number;
  close(): void;
}

export async function tlsPairs(): Promise<TlsPairs> {
  const ca: TestCa = createTestCa();
  const serverId = ca.issue('spiffe://cluster.local/ns/default/sa/b');
  const clientId = ca.issue('spiffe://cluster.local/ns/default/sa/a');
  const accepted: TLSSocket[] = [];
  const waiting: ((s: TLSSocket) => void)[] = [];
  const sockets: TLSSocket[] = [];
  const server: Server = guard(
    createServer({
      key: serverId.key,
      cert: serverId.certChain,
      ca: serverId.trustBundle,
      requestCert: true,
      rejectUnauthorized: true,
      ALPNProtocols: ['weft.2'],
      allowHalfOpen: true,
    }),
  );
  server.on('secureConnection', (socket: TLSSocket) => {
    guard(socket);
    sockets.push(socket);
    const w = waiting.shift();
    if (w === undefined) accepted.push(socket);
    else w(socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  const registry = new MetricsRegistry();
  const metrics = weft2Metrics(registry);
  return {
    metrics,
    registry,
    errors: (reason) => metrics.protocolErrors.labels({ reason }).value,
    async pair() {
      const serverSide = new Promise<TLSSocket>((resolve) => {
        const s = accepted.shift();
        if (s === undefined) waiting.push(resolve);
        else resolve(s);
      });
      const client = guard(
        connect({
          host: '127.0.0.1',
          port,
          key: clientId.key,
          cert: clientId.certChain,
          ca: clientId.trustBundle,
          ALPNProtocols: ['weft.2'],
          allowHalfOpen: true,
          checkServerIdentity: () => undefined,
        }),
      );
      sockets.push(client);
      await once(client, 'secureConnect');
      return { client, server: await serverSide };
    },
    close() {
      for (const s of sockets) s.destroy();
      server.close();
      ca.cleanup();
    },
  };
}
