/** The sidecar's own CSR builder: accepted by the real CA, and well-formed for openssl. */
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '@weft/core';
import {
  CertificateAuthority,
  createIssuer,
  createTrustAnchor,
  derToPem,
  generateKeyPair,
  parseCertificate,
  spkiOf,
  TrustBundle,
  verifyCsr,
} from '@weft/pki';
import { describe, expect, it } from 'vitest';
import { buildCsr, der } from './csr.js';

const openssl = spawnSync('openssl', ['version'], { encoding: 'utf8' }).status === 0;

/** `openssl req -verify` on a DER CSR: its exit status and output. */
function opensslVerify(csr: Buffer): { status: number | null; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'weft-csr-'));
  try {
    const file = join(dir, 'req.der');
    writeFileSync(file, csr);
    const r = spawnSync('openssl', ['req', '-inform', 'DER', '-in', file, '-noout', '-verify', '-subject'], {
      encoding: 'utf8',
    });
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('buildCsr', () => {
  for (const algorithm of ['ecdsa-p256', 'rsa-2048'] as const) {
    it(`builds a ${algorithm} CSR that verifyCsr accepts with the same key`, () => {
      const { privateKey } = generateKeyPair(algorithm);
      const result = verifyCsr(buildCsr({ privateKey }));
      expect(result.type).toBe('ok');
      if (result.type !== 'ok') return;
      expect(result.csr.keyKind).toBe(algorithm === 'rsa-2048' ? 'rsa' : 'ec');
      expect(result.csr.subjectPublicKeyInfo.equals(spkiOf(privateKey))).toBe(true);
    });
  }

  it('is accepted by the real CA, which certifies the key in the CSR', () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const anchor = createTrustAnchor({ trustDomain: 'cluster.local', validityMs: 1e10, clock });
    const issuer = createIssuer({ trustDomain: 'cluster.local', validityMs: 1e9, anchor, clock });
    const ca = new CertificateAuthority({
      trustDomain: 'cluster.local',
      issuer,
      trustAnchors: TrustBundle.fromDer([anchor.certificate]),
      clock,
      defaultLifetimeMs: 3_600_000,
    });
    const { privateKey } = generateKeyPair();
    const identity = 'spiffe://cluster.local/ns/shop/sa/web';
    const issued = ca.issue({ csr: buildCsr({ privateKey, commonName: 'web' }), identity });
    expect(issued.type).toBe('issued');
    if (issued.type !== 'issued') return;
    const leaf = parseCertificate(issued.certificate.chain[0] as Buffer);
    expect(leaf.subjectPublicKeyInfo.equals(spkiOf(privateKey))).toBe(true);
    expect(leaf.uris).toEqual([identity]);
  });

  it('signs the request info: a changed signature is refused', () => {
    const { privateKey } = generateKeyPair();
    const csr = buildCsr({ privateKey });
    const badSignature = Buffer.from(csr);
    badSignature[badSignature.length - 2]! ^= 0x01;
    expect(verifyCsr(badSignature)).toMatchObject({ type: 'rejected' });
  });

  it('refuses a public key and a key type X.509-SVIDs do not use', () => {
    const { privateKey, publicKey } = generateKeyPair();
    expect(() => buildCsr({ privateKey: publicKey })).toThrow(/private key/);
    const ed = generateKeyPairSync('ed25519').privateKey;
    expect(() => buildCsr({ privateKey: ed })).toThrow(/EC or RSA/);
    expect(buildCsr({ privateKey }).length).toBeGreaterThan(100);
  });

  it.skipIf(!openssl)('passes `openssl req -verify` and carries the common name (EC and RSA)', () => {
    for (const algorithm of ['ecdsa-p256', 'rsa-2048'] as const) {
      const { privateKey } = generateKeyPair(algorithm);
      const r = opensslVerify(buildCsr({ privateKey, commonName: 'web.shop' }));
      expect(r.status, r.out).toBe(0);
      expect(r.out).toMatch(/verify OK/i);
      expect(r.out).toMatch(/CN\s*=\s*web\.shop/);
    }
    const csr = buildCsr({ privateKey: generateKeyPair().privateKey });
    const tampered = Buffer.from(csr);
    tampered[tampered.length - 2]! ^= 0x01;
    // OpenSSL 3.0 exits 0 here but says so; later versions also exit non-zero.
    const refused = opensslVerify(tampered);
    expect(refused.out).not.toMatch(/verify OK/i);
    expect(refused.out).toMatch(/verify failure/i);
    // PEM of the same bytes is what `openssl req -in x` reads by default.
    expect(derToPem(csr, 'CERTIFICATE REQUEST')).toMatch(/^-----BEGIN CERTIFICATE REQUEST-----\n/);
  });
});

describe('der', () => {
  it('uses the short form below 128 bytes and the long form above', () => {
    expect(der(0x04, Buffer.alloc(127))[1]).toBe(127);
    expect([...der(0x04, Buffer.alloc(128)).subarray(0, 3)]).toEqual([0x04, 0x81, 128]);
    expect([...der(0x04, Buffer.alloc(300)).subarray(0, 4)]).toEqual([0x04, 0x82, 0x01, 0x2c]);
    expect([...der(0x04, Buffer.alloc(70_000)).subarray(0, 5)]).toEqual([0x04, 0x83, 0x01, 0x11, 0x70]);
    expect(der(0x30, Buffer.from([1]), Buffer.from([2, 3]))).toEqual(Buffer.from([0x30, 3, 1, 2, 3]));
  });
});
