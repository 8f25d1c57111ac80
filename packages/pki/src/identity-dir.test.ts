import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CertificateAuthority } from './ca.js';
import { createCsr } from './csr.js';
import { derToPem } from './der.js';
import {
  createIdentityMaterial,
  IDENTITY_FILES,
  loadIdentityDir,
  loadTokenKey,
  rotateIssuer,
  writeIdentityDir,
} from './identity-dir.js';
import { createJoinToken, verifyJoinToken } from './join-token.js';
import { generateKeyPair } from './keys.js';
import { validateSvid } from './svid.js';
import { TrustBundle } from './trust-bundle.js';

const root = mkdtempSync(join(tmpdir(), 'weft-iddir-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const YEAR = 365 * 86400_000;
const options = { trustDomain: 'example.org', anchorValidityMs: 10 * YEAR, issuerValidityMs: YEAR };

describe('identity folder', () => {
  it('writes keys 0600, loads into a working CA, and refuses to overwrite without force', async () => {
    const dir = join(root, 'a');
    await writeIdentityDir(dir, createIdentityMaterial(options));
    for (const name of [IDENTITY_FILES.anchorKey, IDENTITY_FILES.issuerKey, IDENTITY_FILES.tokenKey]) {
      expect(statSync(join(dir, name)).mode & 0o777).toBe(0o600);
    }
    expect(statSync(join(dir, IDENTITY_FILES.anchorCert)).mode & 0o777).toBe(0o644);

    const loaded = await loadIdentityDir(dir);
    expect(loaded.trustDomain).toBe('example.org');
    const r = loaded.ca.issue({
      csr: createCsr({ privateKey: generateKeyPair().privateKey }),
      identity: 'spiffe://example.org/ns/a/sa/b',
    });
    if (r.type !== 'issued') throw new Error(r.message);
    expect(
      validateSvid(r.certificate.chain, {
        bundle: loaded.trustAnchors,
        trustDomain: 'example.org',
        now: Date.now(),
      }),
    ).toMatchObject({ type: 'valid', identity: 'spiffe://example.org/ns/a/sa/b' });

    const before = readFileSync(join(dir, IDENTITY_FILES.issuerKey), 'utf8');
    await expect(writeIdentityDir(dir, createIdentityMaterial(options))).rejects.toThrow(
      /already holds .*--force/,
    );
    expect(readFileSync(join(dir, IDENTITY_FILES.issuerKey), 'utf8')).toBe(before);
    await writeIdentityDir(dir, createIdentityMaterial(options), { force: true });
    expect(readFileSync(join(dir, IDENTITY_FILES.issuerKey), 'utf8')).not.toBe(before);
  });

  it('signs join tokens with token.key that the loaded key verifies', async () => {
    const dir = join(root, 'b');
    await writeIdentityDir(dir, createIdentityMaterial(options));
    const { key, trustDomain } = await loadTokenKey(dir);
    const token = await createJoinToken({
      key,
      trustDomain,
      namespace: 'n',
      serviceAccount: 's',
      ttlMs: 60_000,
      now: Date.now(),
    });
    const loaded = await loadIdentityDir(dir);
    expect((await verifyJoinToken(token, { key: loaded.tokenKey, trustDomain, now: Date.now() })).type).toBe(
      'ok',
    );
  });

  it('trusts every root in ca.crt during a rotation overlap', async () => {
    const old = createIdentityMaterial(options);
    const next = createIdentityMaterial(options);
    const dir = join(root, 'overlap');
    await writeIdentityDir(dir, next);
    writeFileSync(
      join(dir, IDENTITY_FILES.anchorCert),
      derToPem(old.anchor.certificate, 'CERTIFICATE') + derToPem(next.anchor.certificate, 'CERTIFICATE'),
    );
    const loaded = await loadIdentityDir(dir);
    expect(loaded.trustAnchors.anchors).toHaveLength(2);
    const policy = { bundle: loaded.trustAnchors, trustDomain: 'example.org', now: Date.now() };
    const csr = createCsr({ privateKey: generateKeyPair().privateKey });
    const fresh = loaded.ca.issue({ csr, identity: 'spiffe://example.org/ns/a/sa/new' });
    if (fresh.type !== 'issued') throw new Error(fresh.message);
    expect(validateSvid(fresh.certificate.chain, policy).type).toBe('valid');
    // A workload still holding a leaf from the old root keeps being trusted until the old root goes.
    const oldCa = new CertificateAuthority({
      trustDomain: 'example.org',
      issuer: old.issuer,
      trustAnchors: TrustBundle.fromDer([old.anchor.certificate]),
    });
    const stale = oldCa.issue({ csr, identity: 'spiffe://example.org/ns/a/sa/old' });
    if (stale.type !== 'issued') throw new Error(stale.message);
    expect(validateSvid(stale.certificate.chain, policy).type).toBe('valid');
    const afterOverlap = { ...policy, bundle: TrustBundle.fromDer([next.anchor.certificate]) };
    expect(validateSvid(stale.certificate.chain, afterOverlap)).toMatchObject({
      reason: 'unknown-authority',
    });
  });

  it('rotates the issuer under the same anchor: old and new leaves both validate', async () => {
    const dir = join(root, 'rotate');
    await writeIdentityDir(dir, createIdentityMaterial(options));
    const before = await loadIdentityDir(dir);
    const csr = createCsr({ privateKey: generateKeyPair().privateKey });
    const old = before.ca.issue({ csr, identity: 'spiffe://example.org/ns/a/sa/b' });
    const keyBefore = readFileSync(join(dir, IDENTITY_FILES.issuerKey), 'utf8');
    const notAfter = await rotateIssuer(dir, { validityMs: 30 * 86400_000 });
    expect(notAfter).toBeLessThanOrEqual(Date.now() + 30 * 86400_000);
    expect(readFileSync(join(dir, IDENTITY_FILES.issuerKey), 'utf8')).not.toBe(keyBefore);
    expect(statSync(join(dir, IDENTITY_FILES.issuerKey)).mode & 0o777).toBe(0o600);
    const after = await loadIdentityDir(dir);
    expect(after.ca.issuerNotAfter).toBe(notAfter);
    const fresh = after.ca.issue({ csr, identity: 'spiffe://example.org/ns/a/sa/b' });
    if (old.type !== 'issued' || fresh.type !== 'issued') throw new Error('issue failed');
    const policy = { bundle: after.trustAnchors, trustDomain: 'example.org', now: Date.now() };
    expect(validateSvid(old.certificate.chain, policy).type).toBe('valid');
    expect(validateSvid(fresh.certificate.chain, policy).type).toBe('valid');
    expect(fresh.certificate.chain[1]?.equals(old.certificate.chain[1] as Buffer)).toBe(false);
  });

  it('names the bad file', async () => {
    const dir = join(root, 'c');
    await writeIdentityDir(dir, createIdentityMaterial(options));
    writeFileSync(join(dir, IDENTITY_FILES.issuerKey), 'not a key');
    await expect(loadIdentityDir(dir)).rejects.toThrow(/issuer\.key: not a valid PEM private key/);
    await expect(loadIdentityDir(join(root, 'missing'))).rejects.toThrow(/cannot read/);
    const other = join(root, 'd');
    await writeIdentityDir(other, createIdentityMaterial(options));
    writeFileSync(join(dir, IDENTITY_FILES.issuerKey), readFileSync(join(other, IDENTITY_FILES.issuerKey)));
    await expect(loadIdentityDir(dir)).rejects.toThrow(/issuer\.crt: the issuer key does not match/);
  });
});
