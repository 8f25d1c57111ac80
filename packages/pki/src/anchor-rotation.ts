/**
 * Where a trust-anchor rotation stands, read from the bundle and the issuer alone (no state of
 * its own): one anchor is steady; a newer anchor beside the one that signs the issuer is step 1
 * done; the issuer signed by the newest of several anchors is step 2 done. Pure.
 */
import { createHash, type KeyObject } from 'node:crypto';
import type { Clock } from '@weft/core';
import { createIssuer, createTrustAnchor, trustDomainOf } from './ca.js';
import { type CertificateInfo, parseCertificate } from './certificate.js';
import { derToPem, pemToDer } from './der.js';
import { PkiError } from './errors.js';
import { type KeyAlgorithm, privateKeyToPem, signatureAlgorithmByOid, spkiOf, verifyData } from './keys.js';
import { type TrustAnchor, TrustBundle } from './trust-bundle.js';

/** The rotation steps, in order. `steady` is both "before step 1" and "after step 3". */
export type AnchorRotationStep = 'steady' | 'anchor-added' | 'issuer-switched' | 'unknown';

/** One anchor as a report shows it. */
export interface AnchorSummary {
  /** SHA-256 of the DER, lowercase hex. */
  readonly fingerprint: string;
  readonly notBefore: number;
  readonly notAfter: number;
  /** True for the anchor that signed the issuer in force. */
  readonly signsIssuer: boolean;
}

/** The result of {@link anchorRotationState}. */
export interface AnchorRotationState {
  readonly step: AnchorRotationStep;
  readonly anchors: readonly AnchorSummary[];
  readonly issuer: { readonly fingerprint: string; readonly notAfter: number };
  /** What the operator does next, one sentence. */
  readonly next: string;
}

/** SHA-256 of a certificate's DER, lowercase hex. */
export function certificateFingerprint(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex');
}

/** True when `cert` carries a signature that `issuerKey` verifies. */
export function isSignedBy(cert: CertificateInfo, issuerKey: KeyObject): boolean {
  const algorithm = signatureAlgorithmByOid(cert.signatureAlgorithmOid);
  return algorithm !== undefined && verifyData(algorithm, cert.tbs, issuerKey, cert.signature);
}

/** True when `key` is the private key of `cert`. */
export function keyMatches(cert: CertificateInfo, key: KeyObject): boolean {
  return spkiOf(key).equals(cert.subjectPublicKeyInfo);
}

/** Reads the rotation step from a bundle and the issuer certificate (DER). */
export function anchorRotationState(bundle: TrustBundle, issuerDer: Buffer): AnchorRotationState {
  const issuer = parseCertificate(issuerDer);
  const signer = bundle.anchors.find((a) => isSignedBy(issuer, a.publicKey));
  const anchors = bundle.anchors.map((a) => ({
    fingerprint: certificateFingerprint(a.info.der),
    notBefore: a.info.notBefore,
    notAfter: a.info.notAfter,
    signsIssuer: a === signer,
  }));
  const newest = [...bundle.anchors].sort((x, y) => y.info.notBefore - x.info.notBefore)[0];
  const issuerSummary = { fingerprint: certificateFingerprint(issuerDer), notAfter: issuer.notAfter };
  let step: AnchorRotationStep;
  let next: string;
  if (signer === undefined) {
    step = 'unknown';
    next = 'the issuer chains to no anchor in the bundle: fix the identity before rotating';
  } else if (bundle.anchors.length === 1) {
    step = 'steady';
    next = 'nothing to do; `weft identity rotate-anchor` starts a rotation (step 1: add a new anchor)';
  } else if (signer === newest) {
    step = 'issuer-switched';
    next =
      'step 3: remove the old anchor once every proxy holds a certificate from the new issuer (`weft identity rotate-anchor`)';
  } else {
    step = 'anchor-added';
    next =
      'step 2: switch the issuer to one signed by the new anchor once every proxy holds the new bundle (`weft identity rotate-anchor`)';
  }
  return { step, anchors, issuer: issuerSummary, next };
}

/** The public half of an identity as stored (folder files or Secret keys), PEM. */
export interface RotatableIdentity {
  /** ca.crt: the trust bundle (one or more anchors). */
  readonly anchorsPem: string;
  readonly issuerCertPem: string;
  readonly issuerKeyPem: string;
}

/** Step 1: the bundle gains a new anchor; the issuer stays. Returns the new anchor's key (keep it off the cluster). */
export function addTrustAnchor(
  identity: RotatableIdentity,
  options: { readonly validityMs: number; readonly keyAlgorithm?: KeyAlgorithm; readonly clock?: Clock },
): { identity: RotatableIdentity; anchorKey: KeyObject } {
  const bundle = TrustBundle.fromPem(identity.anchorsPem);
  const state = anchorRotationState(bundle, pemToDer(identity.issuerCertPem, 'CERTIFICATE'));
  if (state.step !== 'steady') {
    throw new PkiError(
      'FAILED_PRECONDITION',
      `a rotation is already in progress (${state.step}): ${state.next}`,
    );
  }
  const anchor = createTrustAnchor({
    trustDomain: trustDomainOfIdentity(identity),
    validityMs: options.validityMs,
    keyAlgorithm: options.keyAlgorithm,
    clock: options.clock,
  });
  return {
    identity: {
      ...identity,
      anchorsPem: `${identity.anchorsPem.trimEnd()}\n${derToPem(anchor.certificate, 'CERTIFICATE')}`,
    },
    anchorKey: anchor.privateKey,
  };
}

/** Step 2: a new issuer signed by the newest anchor, whose private key is `anchorKey`. */
export function switchIssuer(
  identity: RotatableIdentity,
  options: {
    readonly anchorKey: KeyObject;
    readonly validityMs: number;
    readonly keyAlgorithm?: KeyAlgorithm;
    readonly clock?: Clock;
  },
): RotatableIdentity {
  const bundle = TrustBundle.fromPem(identity.anchorsPem);
  const state = anchorRotationState(bundle, pemToDer(identity.issuerCertPem, 'CERTIFICATE'));
  if (state.step !== 'anchor-added') {
    throw new PkiError('FAILED_PRECONDITION', `step 2 needs step 1 done first (now: ${state.step})`);
  }
  const newest = [...bundle.anchors].sort((x, y) => y.info.notBefore - x.info.notBefore)[0] as TrustAnchor;
  if (!keyMatches(newest.info, options.anchorKey)) {
    throw new PkiError('INVALID_CONFIG', 'the new anchor key does not match the newest anchor in the bundle');
  }
  const issuer = createIssuer({
    trustDomain: trustDomainOfIdentity(identity),
    validityMs: options.validityMs,
    keyAlgorithm: options.keyAlgorithm,
    clock: options.clock,
    anchor: { certificate: newest.info.der, privateKey: options.anchorKey },
  });
  return {
    anchorsPem: identity.anchorsPem,
    issuerCertPem: derToPem(issuer.certificate, 'CERTIFICATE'),
    issuerKeyPem: privateKeyToPem(issuer.privateKey),
  };
}

/** Step 3: the bundle keeps only the anchor that signs the issuer. */
export function removeOldAnchors(identity: RotatableIdentity): RotatableIdentity {
  const bundle = TrustBundle.fromPem(identity.anchorsPem);
  const state = anchorRotationState(bundle, pemToDer(identity.issuerCertPem, 'CERTIFICATE'));
  if (state.step !== 'issuer-switched') {
    throw new PkiError('FAILED_PRECONDITION', `step 3 needs step 2 done first (now: ${state.step})`);
  }
  const keep = bundle.anchors.filter((_, i) => state.anchors[i]?.signsIssuer === true);
  return { ...identity, anchorsPem: keep.map((a) => derToPem(a.info.der, 'CERTIFICATE')).join('') };
}

function trustDomainOfIdentity(identity: RotatableIdentity): string {
  const td = trustDomainOf(parseCertificate(pemToDer(identity.issuerCertPem, 'CERTIFICATE')));
  if (td === undefined) throw new PkiError('INVALID_CONFIG', 'issuer.crt names no trust domain');
  return td;
}
