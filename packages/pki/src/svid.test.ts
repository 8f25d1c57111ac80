import { ManualClock } from '@weft/core';
import { describe, expect, it } from 'vitest';
import { fromDer, name } from './asn1.js';
import { CertificateAuthority, createIssuer, createTrustAnchor } from './ca.js';
import { parseCertificate } from './certificate.js';
import { randomSerial, signCertificate } from './certificate-builder.js';
import { createCsr } from './csr.js';
import { derToPem } from './der.js';
import {
  basicConstraints,
  EKU,
  type Extension,
  extKeyUsage,
  type KeyUsage,
  keyUsage,
  subjectAltName,
} from './extensions.js';
import { generateKeyPair, signatureAlgorithmFor, spkiOf } from './keys.js';
import { validateSvid, validateSvidLeaf } from './svid.js';
import { TrustBundle } from './trust-bundle.js';

const HOUR = 3600_000;
const YEAR = 365 * 24 * HOUR;
const TD = 'cluster.local';
const ID = 'spiffe://cluster.local/ns/shop/sa/web';
const clock = new ManualClock(Date.UTC(2026, 5, 1));

function makeCa(trustDomain = TD) {
  const anchor = createTrustAnchor({ trustDomain, validityMs: 10 * YEAR, clock });
  const issuer = createIssuer({ trustDomain, validityMs: YEAR, anchor, clock });
  const bundle = TrustBundle.fromDer([anchor.certificate]);
  const ca = new CertificateAuthority({ trustDomain, issuer, trustAnchors: bundle, clock });
  return { anchor, issuer, bundle, ca };
}

const main = makeCa();
const foreign = makeCa();

function issue(ca = main.ca, identity = ID) {
  const r = ca.issue({ csr: createCsr({ privateKey: generateKeyPair().privateKey }), identity });
  if (r.type !== 'issued') throw new Error(r.message);
  return r.certificate.chain;
}

/** A leaf signed by the main issuer with hand-picked fields, for the negative cases. */
function craft(options: {
  uris?: string[];
  ca?: boolean;
  usages?: KeyUsage[];
  notBefore?: number;
  notAfter?: number;
  extra?: Extension[];
}) {
  const issuerInfo = parseCertificate(main.issuer.certificate);
  const now = clock.now();
  const leaf = signCertificate(
    {
      serial: randomSerial(),
      issuer: fromDer(issuerInfo.subjectName),
      subject: name([]),
      notBefore: options.notBefore ?? now - HOUR,
      notAfter: options.notAfter ?? now + HOUR,
      subjectPublicKeyInfo: fromDer(spkiOf(generateKeyPair().publicKey)),
      extensions: [
        basicConstraints({ ca: options.ca ?? false }),
        keyUsage(options.usages ?? ['digitalSignature']),
        extKeyUsage([EKU.serverAuth, EKU.clientAuth]),
        subjectAltName({ uris: options.uris ?? [ID] }, true),
        ...(options.extra ?? []),
      ],
    },
    { privateKey: main.issuer.privateKey, algorithm: signatureAlgorithmFor(main.issuer.privateKey) },
  );
  return [leaf, main.issuer.certificate];
}

const policy = { bundle: main.bundle, trustDomain: TD, now: clock.now() };

describe('validateSvid', () => {
  it('accepts a chain issued by the CA and returns the identity', () => {
    const result = validateSvid(issue(), policy);
    expect(result).toMatchObject({
      type: 'valid',
      identity: ID,
      id: { trustDomain: TD, namespace: 'shop', serviceAccount: 'web' },
    });
  });

  it('accepts a hand-built leaf with the default crafted fields (the negative cases differ in one field)', () => {
    expect(validateSvid(craft({}), policy).type).toBe('valid');
  });

  it('checks the identity the control plane said the endpoint has', () => {
    expect(validateSvid(issue(), { ...policy, expectedIdentity: ID }).type).toBe('valid');
    expect(
      validateSvid(issue(), { ...policy, expectedIdentity: 'spiffe://cluster.local/ns/shop/sa/api' }),
    ).toMatchObject({ type: 'invalid', reason: 'identity-mismatch' });
  });

  it('accepts chains to either root of a bundle during rotation', () => {
    const both = main.bundle.merge(foreign.bundle);
    expect(both.anchors).toHaveLength(2);
    expect(validateSvid(issue(main.ca), { ...policy, bundle: both }).type).toBe('valid');
    expect(validateSvid(issue(foreign.ca), { ...policy, bundle: both }).type).toBe('valid');
    expect(TrustBundle.fromPem(both.toPem()).ders()).toEqual(both.ders());
  });

  const other = makeCa('other.domain');
  const cases: Array<[string, () => Uint8Array[], string, RegExp]> = [
    [
      'wrong trust domain',
      () => issue(other.ca, 'spiffe://other.domain/ns/shop/sa/web'),
      'trust-domain-mismatch',
      /other\.domain/,
    ],
    [
      'two URI SANs',
      () => craft({ uris: [ID, 'spiffe://cluster.local/ns/shop/sa/api'] }),
      'uri-san-count',
      /2 URI SANs/,
    ],
    ['no URI SAN', () => craft({ uris: [] }), 'uri-san-count', /0 URI SANs/],
    ['CA=true leaf', () => craft({ ca: true, usages: ['digitalSignature'] }), 'leaf-is-ca', /CA=true/],
    [
      'keyCertSign on a leaf',
      () => craft({ usages: ['digitalSignature', 'keyCertSign'] }),
      'leaf-key-cert-sign',
      /keyCertSign/,
    ],
    [
      'cRLSign on a leaf',
      () => craft({ usages: ['digitalSignature', 'cRLSign'] }),
      'leaf-key-cert-sign',
      /cRLSign/,
    ],
    [
      'no digitalSignature',
      () => craft({ usages: ['keyEncipherment'] }),
      'leaf-missing-digital-signature',
      /digitalSignature/,
    ],
    [
      'expired',
      () => craft({ notBefore: clock.now() - 2 * HOUR, notAfter: clock.now() - 1000 }),
      'expired',
      /leaf expired/,
    ],
    [
      'not yet valid',
      () => craft({ notBefore: clock.now() + HOUR, notAfter: clock.now() + 2 * HOUR }),
      'not-yet-valid',
      /leaf is not valid until/,
    ],
    ['chain to a foreign root', () => issue(foreign.ca), 'unknown-authority', /trusted root/],
    [
      'non-spiffe URI',
      () => craft({ uris: ['https://cluster.local/ns/shop/sa/web'] }),
      'not-spiffe',
      /wrong-scheme/,
    ],
    ['spiffe URI without a path', () => craft({ uris: ['spiffe://cluster.local'] }), 'not-spiffe', /no path/],
    ['malformed DER', () => [Buffer.from('3003020101ff', 'hex')], 'malformed', /DER|certificate/],
    ['truncated certificate', () => [issue()[0]!.subarray(0, 100)], 'malformed', /DER/],
    ['empty chain', () => [], 'empty-chain', /no certificate/],
    [
      'unknown critical extension',
      () =>
        craft({ extra: [{ oid: '1.2.3.4.5', critical: true, value: fromDer(Buffer.from('0500', 'hex')) }] }),
      'unknown-critical-extension',
      /1\.2\.3\.4\.5/,
    ],
  ];
  it.each(cases)('rejects %s', (_label, chain, reason, message) => {
    const result = validateSvid(chain(), policy);
    expect(result).toMatchObject({ type: 'invalid', reason });
    if (result.type === 'invalid') expect(result.message).toMatch(message);
  });

  it.each(cases.filter(([, , reason]) => !['unknown-authority', 'empty-chain'].includes(reason)))(
    'validateSvidLeaf (leaf rules only) also rejects %s',
    (_label, chain, reason) => {
      const leaf = chain()[0] as Uint8Array;
      expect(validateSvidLeaf(leaf, policy)).toMatchObject({ type: 'invalid', reason });
    },
  );

  it('validateSvidLeaf accepts a good leaf without looking at signatures', () => {
    expect(validateSvidLeaf(issue(foreign.ca)[0]!, policy)).toMatchObject({ type: 'valid', identity: ID });
  });

  it('rejects a leaf whose intermediate is missing from the chain', () => {
    expect(validateSvid([issue()[0]!], policy)).toMatchObject({
      type: 'invalid',
      reason: 'unknown-authority',
    });
  });

  it('rejects a leaf whose signature was altered', () => {
    const [leaf, issuer] = issue();
    const bad = Buffer.from(leaf!);
    bad[bad.length - 5] = (bad[bad.length - 5] as number) ^ 0xff;
    expect(validateSvid([bad, issuer!], policy)).toMatchObject({
      type: 'invalid',
      reason: 'unknown-authority',
    });
  });

  it('rejects a chain whose issuer has expired', () => {
    const later = { ...policy, now: clock.now() + 2 * YEAR };
    expect(validateSvid(issue(), later)).toMatchObject({ type: 'invalid', reason: 'expired' });
  });

  it('rejects a chain through a leaf used as an intermediate', () => {
    const leafKey = generateKeyPair();
    const issued = main.ca.issue({ csr: createCsr({ privateKey: leafKey.privateKey }), identity: ID });
    if (issued.type !== 'issued') throw new Error(issued.message);
    const leafInfo = parseCertificate(issued.certificate.certificate);
    const child = signCertificate(
      {
        serial: randomSerial(),
        issuer: fromDer(leafInfo.subjectName),
        subject: name([]),
        notBefore: clock.now() - HOUR,
        notAfter: clock.now() + HOUR,
        subjectPublicKeyInfo: fromDer(spkiOf(generateKeyPair().publicKey)),
        extensions: [keyUsage(['digitalSignature']), subjectAltName({ uris: [ID] }, true)],
      },
      { privateKey: leafKey.privateKey, algorithm: signatureAlgorithmFor(leafKey.privateKey) },
    );
    const result = validateSvid([child, ...issued.certificate.chain], policy);
    expect(result).toMatchObject({ type: 'invalid', reason: 'intermediate-not-ca' });
  });

  it('reads PEM bundles and rejects non-CA roots', () => {
    expect(() => TrustBundle.fromPem(derToPem(issue()[0]!, 'CERTIFICATE'))).toThrow(/not a CA/);
    expect(() => TrustBundle.fromPem('nothing here')).toThrow(/no certificates/);
    expect(() =>
      TrustBundle.fromPem('-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n'),
    ).toThrow(/base64/);
  });
});
