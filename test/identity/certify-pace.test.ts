// `--certify-rate`/`--certify-burst` end to end: a control plane paced at 1 certificate per
// second with no burst signs the first of 20 simultaneous Certify calls at once and refuses, with
// `ca-busy`, those whose turn would come after their deadline; the proxies retry them later. With
// the default pace (500/s, burst 50) the same 20 calls are all signed.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningControlPlane, startControlPlane } from '@weft/control-plane';
import { createIdentityMaterial, createJoinToken, loadIdentityDir, writeIdentityDir } from '@weft/pki';
import { grpcCertificateClient, requestSvid } from '@weft/proxy';
import { silentLogger } from '@weft/runtime';
import { afterAll, beforeAll, expect, it } from 'vitest';

const CALLS = 20;
let dir: string;
const running: RunningControlPlane[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'weft-pace-'));
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
});

afterAll(async () => {
  for (const r of running) await r.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Starts a control plane with `pace` and makes CALLS simultaneous Certify calls (2 s deadline each). */
async function certifyAll(pace: { perSecond: number; burst: number } | undefined) {
  const cp = await startControlPlane({
    source: { type: 'folder', dir: join(dir, 'config') },
    identityDir: join(dir, 'identity'),
    grpcAddress: '127.0.0.1:0',
    admin: { host: '127.0.0.1', port: 0 },
    ...(pace === undefined ? {} : { certifyPace: pace }),
    logger: silentLogger(),
  });
  running.push(cp);
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
    address: `127.0.0.1:${cp.addresses.grpcPort}`,
    trustAnchorsPem: trustAnchors.toPem(),
    deadlineMs: 2000,
  });
  try {
    const results = await Promise.all(
      Array.from({ length: CALLS }, () =>
        requestSvid({ client, token, trustDomain: 'cluster.local', now: Date.now() }),
      ),
    );
    return {
      issued: results.filter((r) => r.type === 'ok').length,
      busy: results.filter((r) => r.type === 'failed' && r.reason === 'ca-busy').length,
      other: results
        .filter((r) => r.type === 'failed' && r.reason !== 'ca-busy')
        .map((r) => JSON.stringify(r)),
    };
  } finally {
    client.close();
  }
}

it('paces Certify at the configured rate and refuses, with ca-busy, what cannot be signed in time', async () => {
  const paced = await certifyAll({ perSecond: 1, burst: 1 });
  expect(paced.other).toEqual([]);
  // One at once, one a second later (within the 2 s deadline less the 250 ms kept back); the
  // rest would wait past their deadline. Only calls spread over 18+ s could all be signed.
  expect(paced.issued).toBeGreaterThanOrEqual(1);
  expect(paced.busy).toBeGreaterThanOrEqual(CALLS - 3);
  expect(paced.issued + paced.busy).toBe(CALLS);

  const unpaced = await certifyAll(undefined);
  expect(unpaced).toEqual({ issued: CALLS, busy: 0, other: [] });
}, 30_000);
