// `--workload-cert-ttl` end to end: a control plane started with a short workload certificate
// lifetime issues leaves of exactly that lifetime, and a proxy's CertificateManager rotates them.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningControlPlane, startControlPlane } from '@weft/control-plane';
import { seededRandom } from '@weft/core';
import { createIdentityMaterial, createJoinToken, loadIdentityDir, writeIdentityDir } from '@weft/pki';
import { CertificateManager, grpcCertificateClient, type Svid } from '@weft/proxy';
import { silentLogger } from '@weft/runtime';
import { afterAll, beforeAll, expect, it } from 'vitest';

const TTL_MS = 12_000;
let dir: string;
let running: RunningControlPlane;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'weft-ttl-'));
  await writeIdentityDir(
    join(dir, 'identity'),
    createIdentityMaterial({
      trustDomain: 'cluster.local',
      anchorValidityMs: 86_400_000,
      issuerValidityMs: 86_400_000,
    }),
  );
  await mkdir(join(dir, 'config'));
  writeFileSync(join(dir, 'config', 'empty.yaml'), '');
  running = await startControlPlane({
    source: { type: 'folder', dir: join(dir, 'config') },
    identityDir: join(dir, 'identity'),
    grpcAddress: '127.0.0.1:0',
    admin: { host: '127.0.0.1', port: 0 },
    workloadCertTtlMs: TTL_MS,
    logger: silentLogger(),
  });
});

afterAll(async () => {
  await running?.close();
  rmSync(dir, { recursive: true, force: true });
});

it('issues workload certificates with the configured lifetime, and the proxy rotates them', async () => {
  const { tokenKey, trustAnchors } = await loadIdentityDir(join(dir, 'identity'));
  const token = await createJoinToken({
    key: tokenKey,
    trustDomain: 'cluster.local',
    namespace: 'shop',
    serviceAccount: 'web',
    ttlMs: 3600_000,
    now: Date.now(),
  });
  const client = grpcCertificateClient({
    address: `127.0.0.1:${running.addresses.grpcPort}`,
    trustAnchorsPem: trustAnchors.toPem(),
  });
  const manager = new CertificateManager({
    client,
    token: async () => token,
    trustDomain: 'cluster.local',
    logger: silentLogger(),
    random: seededRandom(3),
  });
  try {
    const before = Date.now();
    const first = await manager.start();
    const after = Date.now();
    // The leaf's notAfter is its issue time plus the TTL (whole seconds in X.509).
    expect(first.notAfter).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + TTL_MS - 1000);
    expect(first.notAfter).toBeLessThanOrEqual(after + TTL_MS);
    const rotated = await new Promise<Svid>((resolve) => manager.once('rotated', resolve));
    expect(rotated.serialHex).not.toBe(first.serialHex);
    expect(rotated.notAfter).toBeGreaterThan(first.notAfter);
  } finally {
    manager.close();
    client.close();
  }
}, 30_000);
