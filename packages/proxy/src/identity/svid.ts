/** A workload's X.509-SVID as held in memory: key, chain, trust bundle; and how to ask for one. */
import type { KeyObject } from 'node:crypto';
import { chmod, mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  derToPem,
  generateKeyPair,
  type KeyAlgorithm,
  parseCertificate,
  privateKeyToPem,
  spkiOf,
  TrustBundle,
  validateSvid,
} from '@weft/pki/workload';
import type { CertificateClient } from './certificate-client.js';
import { buildCsr } from './csr.js';

/** A held certificate. The private key never leaves the process unless written to `outDir`. */
export interface Svid {
  readonly identity: string;
  readonly privateKey: KeyObject;
  /** Leaf first, then intermediates (DER). */
  readonly chain: readonly Buffer[];
  readonly bundle: TrustBundle;
  readonly serialHex: string;
  readonly notBefore: number;
  readonly notAfter: number;
  /** node:tls options (`key`, `cert` chain, `ca` roots) for a SecureContext. */
  readonly tls: { key: string; cert: string; ca: string };
}

/** The result of {@link requestSvid}. */
export type SvidRequestResult =
  | { type: 'ok'; svid: Svid }
  | { type: 'failed'; reason: string; message: string };

/** Options for {@link requestSvid}. */
export interface RequestSvidOptions {
  readonly client: CertificateClient;
  readonly token: string;
  /** The trust domain the SVID must be in. */
  readonly trustDomain: string;
  readonly keyAlgorithm?: KeyAlgorithm;
  /** Current time (ms), for validating the returned chain. */
  readonly now: number;
}

/**
 * Generates a key, sends a CSR, and checks the reply: the chain must validate against the
 * returned anchors and certify our own key.
 */
export async function requestSvid(options: RequestSvidOptions): Promise<SvidRequestResult> {
  const { privateKey } = generateKeyPair(options.keyAlgorithm);
  const result = await options.client.certify({ token: options.token, csr: buildCsr({ privateKey }) });
  if (result.type === 'failed') return { type: 'failed', reason: result.reason, message: result.message };
  const { reply } = result;
  let bundle: TrustBundle;
  try {
    bundle = TrustBundle.fromDer(reply.trustAnchors);
  } catch (err) {
    return {
      type: 'failed',
      reason: 'bad-trust-anchors',
      message: err instanceof Error ? err.message : String(err),
    };
  }
  const check = validateSvid(reply.chain, { bundle, trustDomain: options.trustDomain, now: options.now });
  if (check.type === 'invalid')
    return { type: 'failed', reason: `bad-chain-${check.reason}`, message: check.message };
  const leaf = parseCertificate(reply.chain[0] as Buffer);
  if (!leaf.subjectPublicKeyInfo.equals(spkiOf(privateKey))) {
    return {
      type: 'failed',
      reason: 'wrong-key',
      message: 'the certificate is not for the key this workload sent',
    };
  }
  const cert = reply.chain.map((c) => derToPem(c, 'CERTIFICATE')).join('');
  return {
    type: 'ok',
    svid: {
      identity: check.identity,
      privateKey,
      chain: reply.chain,
      bundle,
      serialHex: leaf.serialHex,
      notBefore: leaf.notBefore,
      notAfter: leaf.notAfter,
      tls: { key: privateKeyToPem(privateKey), cert, ca: bundle.toPem() },
    },
  };
}

/** Files written by {@link writeSvid}. */
export const SVID_FILES = { cert: 'cert.pem', key: 'key.pem', bundle: 'bundle.pem' } as const;

/** Writes cert.pem (chain), key.pem (0600) and bundle.pem into `dir`, each replaced atomically. */
export async function writeSvid(dir: string, svid: Svid): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const files: Array<[string, string, number]> = [
    [SVID_FILES.key, svid.tls.key, 0o600],
    [SVID_FILES.cert, svid.tls.cert, 0o644],
    [SVID_FILES.bundle, svid.tls.ca, 0o644],
  ];
  for (const [name, text, mode] of files) {
    const tmp = join(dir, `.${name}.${process.pid}.tmp`);
    await writeFile(tmp, text, { mode });
    await chmod(tmp, mode);
    await rename(tmp, join(dir, name));
  }
}
