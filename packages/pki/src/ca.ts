/** The certificate authority: trust anchor and issuer creation, and X.509-SVID issuance from CSRs. */
import type { KeyObject } from 'node:crypto';
import { type Clock, parseSpiffeId, systemClock } from '@weft/core';
import { type Asn1, fromDer, name } from './asn1.js';
import { type CertificateInfo, parseCertificate, serialToHex } from './certificate.js';
import { randomSerial, type Signer, signCertificate } from './certificate-builder.js';
import { type CsrRejection, verifyCsr } from './csr.js';
import { PkiError } from './errors.js';
import {
  authorityKeyIdentifier,
  basicConstraints,
  EKU,
  type Extension,
  extKeyUsage,
  keyIdentifierOf,
  keyUsage,
  subjectAltName,
  subjectKeyIdentifier,
} from './extensions.js';
import {
  generateKeyPair,
  type KeyAlgorithm,
  publicKeyFromSpki,
  signatureAlgorithmByOid,
  signatureAlgorithmFor,
  spkiOf,
  verifyData,
} from './keys.js';
import type { TrustBundle } from './trust-bundle.js';

/** Leaf lifetime when none is asked for. */
export const DEFAULT_LEAF_LIFETIME_MS = 24 * 3600_000;
/** notBefore is backdated by this much so peers with slightly slow clocks accept a new cert. */
export const CLOCK_SKEW_ALLOWANCE_MS = 20_000;
const MIN_LIFETIME_MS = 1000;

/** A CA certificate with its private key. */
export interface CaKeyPair {
  readonly certificate: Buffer;
  readonly privateKey: KeyObject;
}

/** Options for creating a trust anchor or issuer. */
export interface CreateCaCertificateOptions {
  readonly trustDomain: string;
  readonly validityMs: number;
  readonly keyAlgorithm?: KeyAlgorithm;
  readonly clock?: Clock;
}

/** Creates a self-signed trust anchor (root). */
export function createTrustAnchor(options: CreateCaCertificateOptions): CaKeyPair {
  checkTrustDomain(options.trustDomain);
  const { privateKey } = generateKeyPair(options.keyAlgorithm);
  const spki = spkiOf(privateKey);
  const keyId = keyIdentifierOf(spki);
  const now = (options.clock ?? systemClock).now();
  const subject = name([
    ['O', 'weft'],
    ['CN', `weft trust anchor ${options.trustDomain}`],
  ]);
  const certificate = signCertificate(
    {
      serial: randomSerial(),
      issuer: subject,
      subject,
      notBefore: now - CLOCK_SKEW_ALLOWANCE_MS,
      notAfter: now + options.validityMs,
      subjectPublicKeyInfo: fromDer(spki),
      extensions: [
        basicConstraints({ ca: true }),
        keyUsage(['keyCertSign', 'cRLSign']),
        subjectKeyIdentifier(keyId),
        subjectAltName({ uris: [`spiffe://${options.trustDomain}`] }, false),
      ],
    },
    { privateKey, algorithm: signatureAlgorithmFor(privateKey) },
  );
  return { certificate, privateKey };
}

/** Creates an intermediate issuer signed by `anchor` (pathLen 0; validity clamped to the anchor's). */
export function createIssuer(
  options: CreateCaCertificateOptions & { readonly anchor: CaKeyPair },
): CaKeyPair {
  checkTrustDomain(options.trustDomain);
  const anchorInfo = parseCertificate(options.anchor.certificate);
  const { privateKey } = generateKeyPair(options.keyAlgorithm);
  const spki = spkiOf(privateKey);
  const now = (options.clock ?? systemClock).now();
  const certificate = signCertificate(
    {
      serial: randomSerial(),
      issuer: fromDer(anchorInfo.subjectName),
      subject: name([
        ['O', 'weft'],
        ['CN', `weft issuer ${options.trustDomain}`],
      ]),
      notBefore: now - CLOCK_SKEW_ALLOWANCE_MS,
      notAfter: Math.min(now + options.validityMs, anchorInfo.notAfter),
      subjectPublicKeyInfo: fromDer(spki),
      extensions: [
        basicConstraints({ ca: true, pathLength: 0 }),
        keyUsage(['keyCertSign', 'cRLSign']),
        subjectKeyIdentifier(keyIdentifierOf(spki)),
        authorityKeyIdentifier(anchorInfo.subjectKeyId ?? keyIdentifierOf(anchorInfo.subjectPublicKeyInfo)),
        subjectAltName({ uris: [`spiffe://${options.trustDomain}`] }, false),
      ],
    },
    { privateKey: options.anchor.privateKey, algorithm: signatureAlgorithmFor(options.anchor.privateKey) },
  );
  return { certificate, privateKey };
}

/** Options for {@link CertificateAuthority}. */
export interface CertificateAuthorityOptions {
  readonly trustDomain: string;
  /** The issuer (intermediate) certificate and key that sign leaves. */
  readonly issuer: CaKeyPair;
  /** The roots in force; the issuer must chain to one of them. */
  readonly trustAnchors: TrustBundle;
  readonly clock?: Clock;
  /** Leaf lifetime when a request does not ask for one (default 24h). */
  readonly defaultLifetimeMs?: number;
  /** The longest leaf lifetime a request may ask for (default: the default lifetime). */
  readonly maxLifetimeMs?: number;
}

/** What to certify without a CSR (the control plane's own serving certificate). */
export interface IssueForKeyRequest {
  readonly publicKey: KeyObject;
  /** The SPIFFE ID (URI SAN) of the leaf. */
  readonly identity: string;
  readonly dnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
  readonly lifetimeMs?: number;
}

/** An issued X.509-SVID. */
export interface IssuedCertificate {
  /** Leaf DER. */
  readonly certificate: Buffer;
  /** Leaf first, then the issuer (DER). */
  readonly chain: readonly Buffer[];
  readonly identity: string;
  readonly serialHex: string;
  readonly notBefore: number;
  readonly notAfter: number;
}

/** The result of {@link CertificateAuthority.issue}. */
export type IssueResult =
  | { type: 'issued'; certificate: IssuedCertificate }
  | { type: 'rejected'; reason: CsrRejection; message: string };

/**
 * Signs X.509-SVIDs with the issuer key. The identity always comes from the caller (who
 * authenticated a token); the CSR contributes only its verified public key.
 */
export class CertificateAuthority {
  readonly trustDomain: string;
  readonly trustAnchors: TrustBundle;
  readonly issuerInfo: CertificateInfo;
  private readonly issuer: CaKeyPair;
  private readonly clock: Clock;
  private readonly defaultLifetimeMs: number;
  private readonly maxLifetimeMs: number;
  private readonly signer: Signer;
  private readonly issuerName: Asn1;
  private readonly fixedExtensions: { rsa: readonly Extension[]; ec: readonly Extension[] };

  constructor(options: CertificateAuthorityOptions) {
    checkTrustDomain(options.trustDomain);
    this.trustDomain = options.trustDomain;
    this.trustAnchors = options.trustAnchors;
    this.issuer = options.issuer;
    this.clock = options.clock ?? systemClock;
    this.defaultLifetimeMs = options.defaultLifetimeMs ?? DEFAULT_LEAF_LIFETIME_MS;
    this.maxLifetimeMs = Math.max(options.maxLifetimeMs ?? this.defaultLifetimeMs, this.defaultLifetimeMs);
    if (this.defaultLifetimeMs < MIN_LIFETIME_MS) {
      throw new PkiError('INVALID_CONFIG', `leaf lifetime must be at least ${MIN_LIFETIME_MS} ms`);
    }
    this.issuerInfo = parseCertificate(options.issuer.certificate);
    const named = trustDomainOf(this.issuerInfo);
    if (named !== undefined && named !== options.trustDomain) {
      throw new PkiError(
        'INVALID_CONFIG',
        `the issuer is for trust domain ${named}, not ${options.trustDomain}`,
      );
    }
    checkIssuer(this.issuerInfo, options.issuer.privateKey, options.trustAnchors);
    this.signer = {
      privateKey: options.issuer.privateKey,
      algorithm: signatureAlgorithmFor(options.issuer.privateKey),
    };
    this.issuerName = fromDer(this.issuerInfo.subjectName);
    const common = [
      basicConstraints({ ca: false }),
      extKeyUsage([EKU.serverAuth, EKU.clientAuth]),
      authorityKeyIdentifier(
        this.issuerInfo.subjectKeyId ?? keyIdentifierOf(this.issuerInfo.subjectPublicKeyInfo),
      ),
    ];
    this.fixedExtensions = {
      rsa: [keyUsage(['digitalSignature', 'keyEncipherment']), ...common],
      ec: [keyUsage(['digitalSignature']), ...common],
    };
  }

  /** When the issuer certificate expires (ms since the epoch). */
  get issuerNotAfter(): number {
    return this.issuerInfo.notAfter;
  }

  /** Verifies `csr` (DER) and issues a leaf for `identity`. Throws only for CA-side problems. */
  issue(request: { csr: Uint8Array; identity: string; lifetimeMs?: number }): IssueResult {
    const verified = verifyCsr(request.csr);
    if (verified.type === 'rejected') return verified;
    const certificate = this.sign(
      verified.csr.subjectPublicKeyInfo,
      verified.csr.keyKind,
      { uris: [request.identity] },
      request.lifetimeMs,
    );
    return { type: 'issued', certificate };
  }

  /** Issues a leaf for a key this process holds (e.g. the control plane's serving certificate). */
  issueForKey(request: IssueForKeyRequest): IssuedCertificate {
    const kind = request.publicKey.asymmetricKeyType === 'rsa' ? 'rsa' : 'ec';
    return this.sign(
      spkiOf(request.publicKey),
      kind,
      { uris: [request.identity], dnsNames: request.dnsNames, ipAddresses: request.ipAddresses },
      request.lifetimeMs,
    );
  }

  private sign(
    spki: Buffer,
    kind: 'rsa' | 'ec',
    names: { uris: string[]; dnsNames?: readonly string[]; ipAddresses?: readonly string[] },
    lifetimeMs: number | undefined,
  ): IssuedCertificate {
    const identity = names.uris[0] as string;
    const id = parseSpiffeId(identity);
    if (id.type === 'error' || id.id.trustDomain !== this.trustDomain || id.id.path === '') {
      throw new PkiError(
        'INVALID_ARGUMENT',
        `cannot issue for ${JSON.stringify(identity)} in ${this.trustDomain}`,
      );
    }
    const now = this.clock.now();
    if (now >= this.issuerInfo.notAfter) {
      throw new PkiError('FAILED_PRECONDITION', 'the issuer certificate has expired; rotate it');
    }
    const lifetime = Math.min(
      Math.max(lifetimeMs ?? this.defaultLifetimeMs, MIN_LIFETIME_MS),
      this.maxLifetimeMs,
    );
    const notBefore = Math.max(now - CLOCK_SKEW_ALLOWANCE_MS, this.issuerInfo.notBefore);
    const notAfter = Math.min(now + lifetime, this.issuerInfo.notAfter);
    const serial = randomSerial();
    const certificate = signCertificate(
      {
        serial,
        issuer: this.issuerName,
        subject: name([]),
        notBefore,
        notAfter,
        subjectPublicKeyInfo: fromDer(spki),
        extensions: [
          ...this.fixedExtensions[kind],
          subjectAltName(names, true),
          subjectKeyIdentifier(keyIdentifierOf(spki)),
        ],
      },
      this.signer,
    );
    return {
      certificate,
      chain: [certificate, this.issuer.certificate],
      identity,
      serialHex: serialToHex(serial),
      notBefore: Math.floor(notBefore / 1000) * 1000,
      notAfter: Math.floor(notAfter / 1000) * 1000,
    };
  }
}

/** The trust domain a weft CA certificate names in its URI SAN (`spiffe://<td>`), if any. */
export function trustDomainOf(info: CertificateInfo): string | undefined {
  for (const uri of info.uris) {
    const parsed = parseSpiffeId(uri);
    if (parsed.type === 'ok' && parsed.id.path === '') return parsed.id.trustDomain;
  }
  return undefined;
}

function checkTrustDomain(trustDomain: string): void {
  const parsed = parseSpiffeId(`spiffe://${trustDomain}`);
  if (parsed.type === 'error')
    throw new PkiError('INVALID_CONFIG', `invalid trust domain ${JSON.stringify(trustDomain)}`);
}

function checkIssuer(info: CertificateInfo, key: KeyObject, anchors: TrustBundle): void {
  if (!info.isCa || (info.keyUsage !== undefined && !info.keyUsage.has('keyCertSign'))) {
    throw new PkiError('INVALID_CONFIG', 'the issuer certificate is not a CA (basicConstraints/keyUsage)');
  }
  if (!spkiOf(key).equals(info.subjectPublicKeyInfo)) {
    throw new PkiError('INVALID_CONFIG', 'the issuer key does not match the issuer certificate');
  }
  const algorithm = signatureAlgorithmByOid(info.signatureAlgorithmOid);
  const self = info.subjectName.equals(info.issuerName)
    ? publicKeyFromSpki(info.subjectPublicKeyInfo)
    : undefined;
  const signedBy = anchors.anchors.some(
    (a) => algorithm !== undefined && verifyData(algorithm, info.tbs, a.publicKey, info.signature),
  );
  if (!signedBy && !(self && anchors.anchors.some((a) => a.info.der.equals(info.der)))) {
    throw new PkiError('INVALID_CONFIG', 'the issuer certificate does not chain to any trust anchor');
  }
}
