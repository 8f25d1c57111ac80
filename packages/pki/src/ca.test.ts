import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '@weft/core';
import { afterAll, describe, expect, it } from 'vitest';
import { CertificateAuthority, CLOCK_SKEW_ALLOWANCE_MS, createIssuer, createTrustAnchor } from './ca.js';
import { parseCertificate } from './certificate.js';
import { createCsr } from './csr.js';
import { derToPem } from './der.js';
import { generateKeyPair, type KeyAlgorithm } from './keys.js';
import { TrustBundle } from './trust-bundle.js';

const dir = mkdtempSync(join(tmpdir(), 'weft-pki-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HOUR = 3600_000;
const YEAR = 365 * 24 * HOUR;
const ID = 'spiffe://cluster.local/ns/shop/sa/web';

function makeCa(alg: KeyAlgorithm, clock = new ManualClock(Date.now())) {
  const anchor = createTrustAnchor({
    trustDomain: 'cluster.local',
    validityMs: 10 * YEAR,
    keyAlgorithm: alg,
    clock,
  });
  const issuer = createIssuer({
    trustDomain: 'cluster.local',
    validityMs: YEAR,
    anchor,
    keyAlgorithm: alg,
    clock,
  });
  const bundle = TrustBundle.fromDer([anchor.certificate]);
  const ca = new CertificateAuthority({ trustDomain: 'cluster.local', issuer, trustAnchors: bundle, clock });
  return { anchor, issuer, bundle, ca, clock };
}

function openssl(args: string[]): string {
  return execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function write(name: string, der: Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, derToPem(der, 'CERTIFICATE'));
  return path;
}

describe.each(['ecdsa-p256', 'rsa-2048'] as const)('CertificateAuthority (%s CA)', (alg) => {
  const { anchor, issuer, ca, clock } = makeCa(alg);

  it.each(['ecdsa-p256', 'rsa-2048'] as const)(
    'issues an X.509-SVID that openssl verifies (%s leaf)',
    (leafAlg) => {
      const { privateKey } = generateKeyPair(leafAlg);
      const result = ca.issue({ csr: createCsr({ privateKey }), identity: ID });
      if (result.type !== 'issued') throw new Error(result.message);
      const { certificate: leaf, chain } = result.certificate;
      expect(chain).toHaveLength(2);
      expect(chain[0]).toBe(leaf);
      expect(chain[1]?.equals(issuer.certificate)).toBe(true);

      const tag = `${alg}-${leafAlg}`;
      const caFile = write(`ca-${tag}.crt`, anchor.certificate);
      const issuerFile = write(`issuer-${tag}.crt`, issuer.certificate);
      const leafFile = write(`leaf-${tag}.crt`, leaf);
      expect(openssl(['verify', '-CAfile', caFile, '-untrusted', issuerFile, leafFile]).trim()).toBe(
        `${leafFile}: OK`,
      );
      // Without the intermediate the leaf must not verify.
      expect(() => openssl(['verify', '-CAfile', caFile, leafFile])).toThrow();

      const text = openssl(['x509', '-in', leafFile, '-noout', '-text']);
      expect(text).toMatch(
        /X509v3 Subject Alternative Name: critical\s+URI:spiffe:\/\/cluster\.local\/ns\/shop\/sa\/web\n/,
      );
      expect(text).toMatch(/X509v3 Basic Constraints: critical\s+CA:FALSE/);
      const usage = leafAlg === 'rsa-2048' ? 'Digital Signature, Key Encipherment' : 'Digital Signature';
      expect(text).toMatch(new RegExp(`X509v3 Key Usage: critical\\s+${usage}\\n`));
      expect(text).toMatch(
        /X509v3 Extended Key Usage: \s+TLS Web Server Authentication, TLS Web Client Authentication/,
      );
      expect(text).not.toMatch(/Certificate Sign|CRL Sign/);

      const dates = openssl(['x509', '-in', leafFile, '-noout', '-startdate', '-enddate', '-serial']);
      const notBefore = Date.parse(/notBefore=(.*)/.exec(dates)?.[1] ?? '');
      const notAfter = Date.parse(/notAfter=(.*)/.exec(dates)?.[1] ?? '');
      const now = Math.floor(clock.now() / 1000) * 1000;
      expect(notBefore).toBe(now - CLOCK_SKEW_ALLOWANCE_MS);
      expect(notAfter).toBe(now + 24 * HOUR);
      expect(/serial=([0-9A-F]+)/.exec(dates)?.[1]?.length).toBeGreaterThanOrEqual(30);
    },
  );

  it('gives every leaf a fresh serial', () => {
    const csr = createCsr({ privateKey: generateKeyPair('ecdsa-p256').privateKey });
    const serials = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const r = ca.issue({ csr, identity: ID });
      if (r.type === 'issued') serials.add(r.certificate.serialHex);
    }
    expect(serials.size).toBe(20);
  });

  it('marks the anchor and issuer as CAs that openssl accepts', () => {
    const text = openssl([
      'x509',
      '-in',
      write(`issuer-only-${alg}.crt`, issuer.certificate),
      '-noout',
      '-text',
    ]);
    expect(text).toMatch(/CA:TRUE, pathlen:0/);
    expect(text).toMatch(/Certificate Sign, CRL Sign/);
    const caFile = write(`ca-only-${alg}.crt`, anchor.certificate);
    expect(openssl(['verify', '-CAfile', caFile, write(`issuer-v-${alg}.crt`, issuer.certificate)])).toMatch(
      /OK/,
    );
  });
});

describe('issuance rules', () => {
  it('takes the identity from the caller, never from the CSR', () => {
    const { ca } = makeCa('ecdsa-p256');
    const keyFile = join(dir, 'other.key');
    const csrFile = join(dir, 'other.csr');
    openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', keyFile]);
    openssl([
      'req',
      '-new',
      '-key',
      keyFile,
      '-subj',
      '/CN=admin',
      '-outform',
      'DER',
      '-out',
      csrFile,
      '-addext',
      'subjectAltName=URI:spiffe://cluster.local/ns/kube-system/sa/admin,DNS:evil.example',
    ]);
    const csr = execFileSync('cat', [csrFile]);
    const result = ca.issue({ csr, identity: ID });
    if (result.type !== 'issued') throw new Error(result.message);
    const info = parseCertificate(result.certificate.certificate);
    expect(info.uris).toEqual([ID]);
    expect(info.dnsNames).toEqual([]);
    expect(info.subjectName.equals(Buffer.from([0x30, 0x00]))).toBe(true);
  });

  it('caps the lifetime at the configured maximum and at the issuer expiry', () => {
    const clock = new ManualClock(Date.now());
    const anchor = createTrustAnchor({ trustDomain: 'cluster.local', validityMs: YEAR, clock });
    const issuer = createIssuer({ trustDomain: 'cluster.local', validityMs: 2 * HOUR, anchor, clock });
    const ca = new CertificateAuthority({
      trustDomain: 'cluster.local',
      issuer,
      trustAnchors: TrustBundle.fromDer([anchor.certificate]),
      clock,
      defaultLifetimeMs: HOUR,
    });
    const csr = createCsr({ privateKey: generateKeyPair().privateKey });
    const short = ca.issue({ csr, identity: ID, lifetimeMs: 10 * HOUR });
    expect(
      short.type === 'issued' && short.certificate.notAfter - Math.floor(clock.now() / 1000) * 1000,
    ).toBe(HOUR);
    clock.advance(90 * 60_000);
    const clamped = ca.issue({ csr, identity: ID });
    expect(clamped.type === 'issued' && clamped.certificate.notAfter).toBe(
      parseCertificate(issuer.certificate).notAfter,
    );
    clock.advance(HOUR);
    expect(() => ca.issue({ csr, identity: ID })).toThrow(/issuer certificate has expired/);
  });

  it('refuses identities outside its trust domain', () => {
    const { ca } = makeCa('ecdsa-p256');
    const csr = createCsr({ privateKey: generateKeyPair().privateKey });
    expect(() => ca.issue({ csr, identity: 'spiffe://other.domain/ns/a/sa/b' })).toThrow(/cannot issue/);
    expect(() => ca.issue({ csr, identity: 'https://cluster.local/ns/a/sa/b' })).toThrow(/cannot issue/);
  });

  it('refuses an issuer that does not chain to the anchors or whose key does not match', () => {
    const a = makeCa('ecdsa-p256');
    const b = makeCa('ecdsa-p256');
    expect(
      () =>
        new CertificateAuthority({ trustDomain: 'cluster.local', issuer: a.issuer, trustAnchors: b.bundle }),
    ).toThrow(/does not chain/);
    expect(
      () =>
        new CertificateAuthority({
          trustDomain: 'cluster.local',
          issuer: { certificate: a.issuer.certificate, privateKey: b.issuer.privateKey },
          trustAnchors: a.bundle,
        }),
    ).toThrow(/does not match/);
  });

  it('issues serving certificates with DNS and IP SANs besides the SPIFFE ID', () => {
    const { ca, anchor } = makeCa('ecdsa-p256');
    const { publicKey } = generateKeyPair();
    const issued = ca.issueForKey({
      publicKey,
      identity: 'spiffe://cluster.local/ns/weft/sa/weft-control-plane',
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1', '::1'],
    });
    const leafFile = write('serving.crt', issued.certificate);
    const text = openssl(['x509', '-in', leafFile, '-noout', '-ext', 'subjectAltName']);
    expect(text).toContain(
      'URI:spiffe://cluster.local/ns/weft/sa/weft-control-plane, DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1',
    );
    const caFile = write('serving-ca.crt', anchor.certificate);
    const chainFile = write('serving-issuer.crt', issued.chain[1] as Buffer);
    expect(
      openssl(['verify', '-CAfile', caFile, '-untrusted', chainFile, '-purpose', 'sslserver', leafFile]),
    ).toMatch(/OK/);
  });
});
