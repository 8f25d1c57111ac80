// Rotation end to end: a workload's CertificateManager against a real control plane (gRPC + TLS on
// 127.0.0.1), a TLS server that swaps its SecureContext on rotation, and a control plane that
// goes away and comes back. Ordering comes from events, never from sleeps.
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer, type Server as TlsServer } from 'node:tls';
import { Server } from '@grpc/grpc-js';
import { addIdentityService, createIdentityServerCredentials, joinTokenValidator } from '@weft/control-plane';
import { seededRandom } from '@weft/core';
import {
  CertificateAuthority,
  createIssuer,
  createJoinToken,
  createTrustAnchor,
  generateTokenKey,
  TrustBundle,
  validateSvid,
} from '@weft/pki';
import { CertificateManager, grpcCertificateClient, type Svid } from '@weft/proxy';
import { afterEach, describe, expect, it } from 'vitest';

const TD = 'cluster.local';
const YEAR = 365 * 86400_000;
const anchor = createTrustAnchor({ trustDomain: TD, validityMs: YEAR });
const issuer = createIssuer({ trustDomain: TD, validityMs: YEAR, anchor });
const bundle = TrustBundle.fromDer([anchor.certificate]);
const tokenKey = generateTokenKey();
const token = await createJoinToken({
  key: tokenKey,
  trustDomain: TD,
  namespace: 'shop',
  serviceAccount: 'web',
  ttlMs: 3600_000,
  now: Date.now(),
});

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A control plane serving only Identity, with 4-second leaves. */
async function startControlPlane(port = 0): Promise<{ port: number; stop(): Promise<void> }> {
  const ca = new CertificateAuthority({
    trustDomain: TD,
    issuer,
    trustAnchors: bundle,
    defaultLifetimeMs: 4000,
  });
  const server = new Server();
  const serving = createIdentityServerCredentials({ ca });
  addIdentityService(server, { ca, validator: joinTokenValidator({ key: tokenKey, trustDomain: TD }) });
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, serving.credentials, (err, p) => (err ? reject(err) : resolve(p))),
  );
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    serving.close();
    server.forceShutdown();
  };
  cleanups.push(stop);
  return { port: bound, stop };
}

function startManager(port: number, outDir?: string): CertificateManager {
  const client = grpcCertificateClient({
    address: `127.0.0.1:${port}`,
    trustAnchorsPem: bundle.toPem(),
    maxReconnectBackoffMs: 100,
  });
  const manager = new CertificateManager({
    client,
    token: async () => token,
    trustDomain: TD,
    outDir,
    backoff: { baseMs: 50, maxMs: 200 },
    random: seededRandom(1),
  });
  cleanups.push(() => {
    manager.close();
    client.close();
  });
  return manager;
}

/** A TLS server presenting the manager's SVID, swapping its SecureContext on every rotation. */
async function startTlsServer(manager: CertificateManager, first: Svid): Promise<number> {
  const server: TlsServer = createServer({ ...first.tls }, (socket) => socket.end('hello'));
  manager.on('rotated', (svid) => server.setSecureContext({ ...svid.tls }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as AddressInfo).port;
}

/** Opens a TLS connection and returns the serial and SPIFFE ID the server presented. */
function presented(port: number): Promise<{ serial: string; identity: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(
      { host: '127.0.0.1', port, ca: bundle.toPem(), checkServerIdentity: () => undefined },
      () => {
        const peer = socket.getPeerCertificate(true);
        const chain = [peer.raw, peer.issuerCertificate?.raw].filter((c): c is Buffer => c !== undefined);
        const result = validateSvid(chain, { bundle, trustDomain: TD, now: Date.now() });
        socket.destroy();
        if (result.type === 'invalid') reject(new Error(result.message));
        else resolve({ serial: peer.serialNumber.toLowerCase(), identity: result.identity });
      },
    );
    socket.on('error', reject);
  });
}

describe('certificate rotation end to end', () => {
  it('rotates before expiry and a new TLS connection presents the new certificate', async () => {
    const cp = await startControlPlane();
    const dir = mkdtempSync(join(tmpdir(), 'weft-svid-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const manager = startManager(cp.port, dir);
    const first = await manager.start();
    expect(first.identity).toBe('spiffe://cluster.local/ns/shop/sa/web');
    expect(manager.secondsToExpiry()).toBeGreaterThan(0);
    expect(manager.secondsToExpiry()).toBeLessThanOrEqual(4);
    const tlsPort = await startTlsServer(manager, first);
    expect(await presented(tlsPort)).toEqual({ serial: first.serialHex, identity: first.identity });

    const [second, previous] = (await once(manager, 'rotated')) as [Svid, Svid];
    expect(previous).toBe(first);
    expect(second.serialHex).not.toBe(first.serialHex);
    expect(Date.now()).toBeLessThan(first.notAfter);
    expect(await presented(tlsPort)).toEqual({ serial: second.serialHex, identity: second.identity });

    expect(statSync(join(dir, 'key.pem')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, 'key.pem'), 'utf8')).toBe(second.tls.key);
    expect(readFileSync(join(dir, 'cert.pem'), 'utf8')).toBe(second.tls.cert);
    expect(readFileSync(join(dir, 'bundle.pem'), 'utf8')).toBe(bundle.toPem());
  });

  it('keeps serving its certificate while the control plane is away and recovers when it returns', async () => {
    const cp = await startControlPlane();
    const manager = startManager(cp.port);
    const first = await manager.start();
    const tlsPort = await startTlsServer(manager, first);

    await cp.stop();
    const [failure] = await once(manager, 'renewal-failed');
    expect(failure).toMatchObject({ attempt: 1, reason: 'transport' });
    expect(manager.current()).toBe(first);
    expect((await presented(tlsPort)).serial).toBe(first.serialHex);

    await startControlPlane(cp.port);
    const [recovered] = (await once(manager, 'rotated')) as [Svid];
    expect(recovered.serialHex).not.toBe(first.serialHex);
    expect(manager.current()).toBe(recovered);
    expect((await presented(tlsPort)).serial).toBe(recovered.serialHex);
  });

  it('rejects start() when closed before any certificate arrives', async () => {
    const cp = await startControlPlane();
    await cp.stop();
    const manager = startManager(cp.port);
    const started = manager.start();
    await once(manager, 'renewal-failed');
    manager.close();
    await expect(started).rejects.toThrow(/closed before the first certificate/);
  });
});
