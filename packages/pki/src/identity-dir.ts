/**
 * The identity folder written by `weft identity create-ca` and read by `weft control-plane
 * --identity-dir`: ca.crt (roots, several during rotation), ca.key, issuer.crt, issuer.key,
 * token.key. Keys are written mode 0600.
 */

import type { KeyObject } from 'node:crypto';
import { chmod, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Clock, systemClock } from '@weft/core';
import {
  type CaKeyPair,
  CertificateAuthority,
  createIssuer,
  createTrustAnchor,
  trustDomainOf,
} from './ca.js';
import { parseCertificate } from './certificate.js';
import { derToPem, pemToDer } from './der.js';
import { PkiError } from './errors.js';
import { generateTokenKey } from './join-token.js';
import { type KeyAlgorithm, privateKeyFromPem, privateKeyToPem, spkiOf } from './keys.js';
import { TrustBundle } from './trust-bundle.js';

/** File names inside an identity folder. */
export const IDENTITY_FILES = {
  anchorCert: 'ca.crt',
  anchorKey: 'ca.key',
  issuerCert: 'issuer.crt',
  issuerKey: 'issuer.key',
  tokenKey: 'token.key',
} as const;

/** Everything `create-ca` makes. */
export interface IdentityMaterial {
  readonly trustDomain: string;
  readonly anchor: CaKeyPair;
  readonly issuer: CaKeyPair;
  readonly tokenKey: KeyObject;
}

/** Options for {@link createIdentityMaterial}. */
export interface CreateIdentityOptions {
  readonly trustDomain: string;
  readonly anchorValidityMs: number;
  readonly issuerValidityMs: number;
  readonly keyAlgorithm?: KeyAlgorithm;
  readonly clock?: Clock;
}

/** Creates a trust anchor, an issuer signed by it, and a token-signing key. */
export function createIdentityMaterial(options: CreateIdentityOptions): IdentityMaterial {
  const common = {
    trustDomain: options.trustDomain,
    keyAlgorithm: options.keyAlgorithm,
    clock: options.clock,
  };
  const anchor = createTrustAnchor({ ...common, validityMs: options.anchorValidityMs });
  const issuer = createIssuer({ ...common, validityMs: options.issuerValidityMs, anchor });
  return { trustDomain: options.trustDomain, anchor, issuer, tokenKey: generateTokenKey() };
}

/** Writes the material into `dir` (created if needed). Refuses to overwrite unless `force`. */
export async function writeIdentityDir(
  dir: string,
  material: IdentityMaterial,
  options: { force?: boolean } = {},
): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const files: Array<[string, string, number]> = [
    [IDENTITY_FILES.anchorCert, derToPem(material.anchor.certificate, 'CERTIFICATE'), 0o644],
    [IDENTITY_FILES.issuerCert, derToPem(material.issuer.certificate, 'CERTIFICATE'), 0o644],
    [IDENTITY_FILES.anchorKey, privateKeyToPem(material.anchor.privateKey), 0o600],
    [IDENTITY_FILES.issuerKey, privateKeyToPem(material.issuer.privateKey), 0o600],
    [IDENTITY_FILES.tokenKey, privateKeyToPem(material.tokenKey), 0o600],
  ];
  if (!options.force) {
    const existing: string[] = [];
    for (const [name] of files) {
      if (await exists(join(dir, name))) existing.push(name);
    }
    if (existing.length > 0) {
      throw new PkiError(
        'ALREADY_EXISTS',
        `${dir} already holds ${existing.join(', ')} (use --force to overwrite)`,
      );
    }
  }
  for (const [name, text, mode] of files) {
    const path = join(dir, name);
    await writeFile(path, text, { mode, flag: options.force ? 'w' : 'wx' });
    await chmod(path, mode);
  }
}

/** What the control plane needs from an identity folder. */
export interface LoadedIdentity {
  readonly trustDomain: string;
  readonly ca: CertificateAuthority;
  readonly trustAnchors: TrustBundle;
  readonly tokenKey: KeyObject;
}

/** Options for {@link loadIdentityDir}. */
export interface LoadIdentityOptions {
  /** Expected trust domain; defaults to the one named in issuer.crt. */
  readonly trustDomain?: string;
  readonly clock?: Clock;
  readonly defaultLifetimeMs?: number;
  readonly maxLifetimeMs?: number;
}

/** The four texts an identity is loaded from (files of a folder, or keys of Secrets). */
export interface IdentityTexts {
  readonly anchorsPem: string;
  readonly issuerCertPem: string;
  readonly issuerKeyPem: string;
  readonly tokenKeyPem: string;
}

/** Reads an identity folder into a ready CertificateAuthority. Throws PkiError naming the bad file. */
export async function loadIdentityDir(
  dir: string,
  options: LoadIdentityOptions = {},
): Promise<LoadedIdentity> {
  const read = async (name: string): Promise<string> => {
    try {
      return await readFile(join(dir, name), 'utf8');
    } catch (err) {
      throw new PkiError('NOT_FOUND', `cannot read ${join(dir, name)}`, { cause: err });
    }
  };
  const [anchorsPem, issuerCertPem, issuerKeyPem, tokenKeyPem] = await Promise.all([
    read(IDENTITY_FILES.anchorCert),
    read(IDENTITY_FILES.issuerCert),
    read(IDENTITY_FILES.issuerKey),
    read(IDENTITY_FILES.tokenKey),
  ]);
  return loadIdentityTexts({ anchorsPem, issuerCertPem, issuerKeyPem, tokenKeyPem }, options, (name) =>
    join(dir, name),
  );
}

/**
 * Builds the CertificateAuthority from the identity's texts. `where` names a file (one of
 * {@link IDENTITY_FILES}) in error messages. Throws PkiError naming the bad one.
 */
export function loadIdentityTexts(
  texts: IdentityTexts,
  options: LoadIdentityOptions = {},
  where: (name: string) => string = (name) => name,
): LoadedIdentity {
  const within = <T>(name: string, fn: () => T): T => {
    try {
      return fn();
    } catch (err) {
      throw new PkiError(
        'INVALID_CONFIG',
        `${where(name)}: ${err instanceof Error ? err.message : String(err)}`,
        {
          cause: err,
        },
      );
    }
  };
  const trustAnchors = within(IDENTITY_FILES.anchorCert, () => TrustBundle.fromPem(texts.anchorsPem));
  const issuerCert = within(IDENTITY_FILES.issuerCert, () => pemToDer(texts.issuerCertPem, 'CERTIFICATE'));
  const issuerInfo = within(IDENTITY_FILES.issuerCert, () => parseCertificate(issuerCert));
  const trustDomain = options.trustDomain ?? trustDomainOf(issuerInfo);
  if (trustDomain === undefined) {
    throw new PkiError(
      'INVALID_CONFIG',
      `${where(IDENTITY_FILES.issuerCert)} names no trust domain; pass one`,
    );
  }
  const issuerKey = within(IDENTITY_FILES.issuerKey, () => privateKeyFromPem(texts.issuerKeyPem));
  const tokenKey = within(IDENTITY_FILES.tokenKey, () => privateKeyFromPem(texts.tokenKeyPem));
  if (tokenKey.asymmetricKeyType !== 'ed25519') {
    throw new PkiError('INVALID_CONFIG', `${where(IDENTITY_FILES.tokenKey)}: not an Ed25519 key`);
  }
  const ca = within(
    IDENTITY_FILES.issuerCert,
    () =>
      new CertificateAuthority({
        trustDomain,
        issuer: { certificate: issuerCert, privateKey: issuerKey },
        trustAnchors,
        clock: options.clock ?? systemClock,
        defaultLifetimeMs: options.defaultLifetimeMs,
        maxLifetimeMs: options.maxLifetimeMs,
      }),
  );
  return { trustDomain, ca, trustAnchors, tokenKey };
}

/** Options for {@link rotateIssuer}. */
export interface RotateIssuerOptions {
  readonly validityMs: number;
  readonly keyAlgorithm?: KeyAlgorithm;
  readonly clock?: Clock;
}

/**
 * Replaces issuer.crt and issuer.key with a new issuer signed by the trust anchor whose key is
 * ca.key (the anchor stays, so every workload keeps trusting old and new leaves). Each file is
 * replaced atomically; the key keeps mode 0600. Returns the new issuer's expiry (ms).
 */
export async function rotateIssuer(dir: string, options: RotateIssuerOptions): Promise<number> {
  const path = (name: string) => join(dir, name);
  let anchorsPem: string;
  let anchorKeyPem: string;
  let issuerPem: string;
  try {
    [anchorsPem, anchorKeyPem, issuerPem] = await Promise.all([
      readFile(path(IDENTITY_FILES.anchorCert), 'utf8'),
      readFile(path(IDENTITY_FILES.anchorKey), 'utf8'),
      readFile(path(IDENTITY_FILES.issuerCert), 'utf8'),
    ]);
  } catch (err) {
    throw new PkiError('NOT_FOUND', `cannot read the identity folder ${dir}`, { cause: err });
  }
  const anchorKey = privateKeyFromPem(anchorKeyPem);
  const spki = spkiOf(anchorKey);
  const anchor = TrustBundle.fromPem(anchorsPem).anchors.find((a) =>
    a.info.subjectPublicKeyInfo.equals(spki),
  );
  if (anchor === undefined) {
    throw new PkiError(
      'INVALID_CONFIG',
      `${path(IDENTITY_FILES.anchorKey)} matches no certificate in ca.crt`,
    );
  }
  const trustDomain =
    trustDomainOf(parseCertificate(pemToDer(issuerPem, 'CERTIFICATE'))) ?? trustDomainOf(anchor.info);
  if (trustDomain === undefined)
    throw new PkiError('INVALID_CONFIG', `${dir}: the certificates name no trust domain`);
  const issuer = createIssuer({
    trustDomain,
    validityMs: options.validityMs,
    keyAlgorithm: options.keyAlgorithm,
    clock: options.clock,
    anchor: { certificate: anchor.info.der, privateKey: anchorKey },
  });
  await replaceFile(path(IDENTITY_FILES.issuerKey), privateKeyToPem(issuer.privateKey), 0o600);
  await replaceFile(path(IDENTITY_FILES.issuerCert), derToPem(issuer.certificate, 'CERTIFICATE'), 0o644);
  return parseCertificate(issuer.certificate).notAfter;
}

async function replaceFile(path: string, text: string, mode: number): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text, { mode });
  await chmod(tmp, mode);
  await rename(tmp, path);
}

/** Reads only the token key of an identity folder (for `weft token create`). */
export async function loadTokenKey(dir: string): Promise<{ key: KeyObject; trustDomain: string }> {
  const path = join(dir, IDENTITY_FILES.tokenKey);
  let pem: string;
  let issuerPem: string;
  try {
    [pem, issuerPem] = await Promise.all([
      readFile(path, 'utf8'),
      readFile(join(dir, IDENTITY_FILES.issuerCert), 'utf8'),
    ]);
  } catch (err) {
    throw new PkiError('NOT_FOUND', `cannot read the identity folder ${dir}`, { cause: err });
  }
  const key = privateKeyFromPem(pem);
  const trustDomain = trustDomainOf(parseCertificate(pemToDer(issuerPem, 'CERTIFICATE')));
  if (trustDomain === undefined)
    throw new PkiError('INVALID_CONFIG', `${dir}: issuer.crt names no trust domain`);
  return { key, trustDomain };
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
