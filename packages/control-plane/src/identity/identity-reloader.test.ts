import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '@weft/core';
import {
  createIdentityMaterial,
  createIssuer,
  createTrustAnchor,
  derToPem,
  generateKeyPair,
  loadIdentityDir,
  pemToDer,
  privateKeyFromPem,
  privateKeyToPem,
  rotateIssuer,
  writeIdentityDir,
} from '@weft/pki';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { folderIdentitySource, IdentityReloader } from './identity-reloader.js';

const DAY = 86_400_000;
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function setup(options: { intervalMs?: number; sourceOnly?: boolean } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'weft-reload-'));
  dirs.push(dir);
  await writeIdentityDir(
    dir,
    createIdentityMaterial({
      trustDomain: 'cluster.local',
      anchorValidityMs: 10 * DAY,
      issuerValidityMs: DAY,
    }),
  );
  const initial = await loadIdentityDir(dir);
  const registry = new Registry();
  const reloaded: string[] = [];
  const reloader = new IdentityReloader({
    dir,
    initial,
    intervalMs: options.intervalMs ?? 0,
    // An explicit source is read by the periodic check only (no folder watch).
    ...(options.sourceOnly ? { source: folderIdentitySource(dir) } : {}),
    registry,
    onReload: (identity) => reloaded.push(identity.ca.issuerInfo.serialHex),
  });
  await reloader.start();
  const counter = async (result: string, reason: string) => {
    const values = (await registry.getSingleMetric('weft_identity_reloads_total')?.get())?.values ?? [];
    return values.find((v) => v.labels.result === result && v.labels.reason === reason)?.value ?? 0;
  };
  return { dir, initial, reloader, reloaded, counter, registry };
}

/** A refusal is reported on the second read of the same bad content (see IdentityReloader.reject). */
async function checkTwice(reloader: IdentityReloader) {
  const first = await reloader.check();
  expect(first.type).toBe('unchanged');
  return reloader.check();
}

describe('IdentityReloader', () => {
  it('is unchanged while the folder is', async () => {
    const { reloader, reloaded } = await setup();
    expect((await reloader.check()).type).toBe('unchanged');
    expect(reloaded).toEqual([]);
    reloader.close();
  });

  it('swaps in a new issuer and keeps the replaced one as an intermediate', async () => {
    const { dir, initial, reloader, reloaded, counter } = await setup();
    await rotateIssuer(dir, { validityMs: DAY });
    const r = await reloader.check();
    expect(r.type).toBe('reloaded');
    const now = reloader.current();
    expect(now.ca.issuerInfo.der.equals(initial.ca.issuerInfo.der)).toBe(false);
    expect(reloaded).toEqual([now.ca.issuerInfo.serialHex]);
    expect(reloader.intermediates().map((d) => d.toString('hex'))).toEqual([
      now.ca.issuerInfo.der.toString('hex'),
      initial.ca.issuerInfo.der.toString('hex'),
    ]);
    expect(await counter('reloaded', '')).toBe(1);
    reloader.close();
  });

  it('takes an added trust anchor into the bundle', async () => {
    const { dir, reloader, registry } = await setup();
    const extra = createTrustAnchor({ trustDomain: 'cluster.local', validityMs: 10 * DAY });
    const pem = readFileSync(join(dir, 'ca.crt'), 'utf8');
    writeFileSync(join(dir, 'ca.crt'), pem + derToPem(extra.certificate, 'CERTIFICATE'));
    expect((await reloader.check()).type).toBe('reloaded');
    expect(reloader.current().trustAnchors.anchors).toHaveLength(2);
    expect((await registry.getSingleMetric('weft_identity_trust_anchors')?.get())?.values[0]?.value).toBe(2);
    reloader.close();
  });

  it('refuses an issuer key that is not the certificate’s, and keeps serving the old identity', async () => {
    const { dir, initial, reloader, reloaded, counter } = await setup();
    writeFileSync(join(dir, 'issuer.key'), privateKeyToPem(generateKeyPair().privateKey));
    const r = await checkTwice(reloader);
    expect(r).toMatchObject({ type: 'rejected', reason: 'key-mismatch' });
    expect(reloader.current()).toBe(initial);
    expect(reloaded).toEqual([]);
    expect(await counter('rejected', 'key-mismatch')).toBe(1);
    // Read again: counted once, not on every check.
    expect((await reloader.check()).type).toBe('unchanged');
    expect(await counter('rejected', 'key-mismatch')).toBe(1);
    reloader.close();
  });

  it('refuses an issuer that chains to no anchor in the bundle', async () => {
    const { dir, initial, reloader, counter } = await setup();
    const foreign = createTrustAnchor({ trustDomain: 'cluster.local', validityMs: DAY });
    const issuer = createIssuer({ trustDomain: 'cluster.local', validityMs: DAY, anchor: foreign });
    writeFileSync(join(dir, 'issuer.key'), privateKeyToPem(issuer.privateKey));
    writeFileSync(join(dir, 'issuer.crt'), derToPem(issuer.certificate, 'CERTIFICATE'));
    expect(await checkTwice(reloader)).toMatchObject({ type: 'rejected', reason: 'issuer-not-chained' });
    expect(reloader.current()).toBe(initial);
    expect(await counter('rejected', 'issuer-not-chained')).toBe(1);
    reloader.close();
  });

  it('refuses an expired issuer', async () => {
    const { dir, initial, reloader } = await setup();
    const anchorPem = readFileSync(join(dir, 'ca.key'), 'utf8');
    const anchorCert = pemToDer(readFileSync(join(dir, 'ca.crt'), 'utf8'), 'CERTIFICATE');
    const past = { ...systemClock, now: () => Date.now() - 3 * DAY };
    const issuer = createIssuer({
      trustDomain: 'cluster.local',
      validityMs: DAY,
      clock: past,
      anchor: { certificate: anchorCert, privateKey: privateKeyFromPem(anchorPem) },
    });
    writeFileSync(join(dir, 'issuer.key'), privateKeyToPem(issuer.privateKey));
    writeFileSync(join(dir, 'issuer.crt'), derToPem(issuer.certificate, 'CERTIFICATE'));
    expect(await checkTwice(reloader)).toMatchObject({ type: 'rejected', reason: 'expired' });
    expect(reloader.current()).toBe(initial);
    reloader.close();
  });

  it('refuses an unparsable bundle, then accepts the folder once it is good again', async () => {
    const { dir, reloader } = await setup();
    const good = readFileSync(join(dir, 'ca.crt'), 'utf8');
    writeFileSync(join(dir, 'ca.crt'), 'not a certificate\n');
    expect(await checkTwice(reloader)).toMatchObject({ type: 'rejected', reason: 'malformed' });
    writeFileSync(join(dir, 'ca.crt'), `${good}\n`);
    expect((await reloader.check()).type).toBe('reloaded');
    reloader.close();
  });

  it('notices a change through the folder watch without an explicit check', async () => {
    const { dir, reloader, reloaded } = await setup();
    await rotateIssuer(dir, { validityMs: DAY });
    await expect.poll(() => reloaded.length, { timeout: 10_000 }).toBe(1);
    reloader.close();
  });

  it('notices a change through the periodic check alone', async () => {
    const { dir, reloader, reloaded } = await setup({ intervalMs: 200, sourceOnly: true });
    await rotateIssuer(dir, { validityMs: DAY });
    await expect.poll(() => reloaded.length, { timeout: 10_000 }).toBe(1);
    reloader.close();
  });
});
