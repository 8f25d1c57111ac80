/** PKCS#10 certificate signing requests: built with node-forge, signature checked natively. */
import type { KeyObject } from 'node:crypto';
import { type Asn1, fromDer, name, seq, smallInteger, tagged, toDer } from './asn1.js';
import { wrapSigned } from './certificate-builder.js';
import { children, contents, decodeOid, readSigned, slice, TAG } from './der.js';
import { MalformedError } from './errors.js';
import {
  checkPublicKey,
  publicKeyFromSpki,
  signatureAlgorithmByOid,
  signatureAlgorithmFor,
  spkiOf,
  verifyData,
} from './keys.js';

/** The largest CSR weft reads (bytes of DER). */
export const MAX_CSR_BYTES = 16 * 1024;

/** Why a CSR was refused (stable values; used in metrics and INVALID_ARGUMENT messages). */
export type CsrRejection =
  | 'too-large'
  | 'malformed'
  | 'unsupported-version'
  | 'unsupported-key'
  | 'weak-key'
  | 'unsupported-signature-algorithm'
  | 'bad-signature';

/** A CSR whose signature verified: the public key to certify. Its subject and extensions are ignored. */
export interface VerifiedCsr {
  readonly publicKey: KeyObject;
  readonly keyKind: 'rsa' | 'ec';
  /** The SubjectPublicKeyInfo, DER. */
  readonly subjectPublicKeyInfo: Buffer;
}

/** The result of {@link verifyCsr}. */
export type CsrResult =
  | { type: 'ok'; csr: VerifiedCsr }
  | { type: 'rejected'; reason: CsrRejection; message: string };

/**
 * Parses a DER CSR and verifies its self-signature with node:crypto. Never throws for bad
 * input: every problem is a `rejected` result with a precise reason.
 */
export function verifyCsr(input: Uint8Array): CsrResult {
  if (input.length > MAX_CSR_BYTES) {
    return reject('too-large', `CSR is ${input.length} bytes (limit ${MAX_CSR_BYTES})`);
  }
  const der = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  let parts: { info: Buffer; version: Buffer; spki: Buffer; algorithmOid: string; signature: Buffer };
  try {
    parts = split(der);
  } catch (err) {
    return reject('malformed', err instanceof Error ? err.message : 'CSR: not valid DER');
  }
  if (parts.version.length !== 1 || parts.version[0] !== 0) {
    return reject('unsupported-version', 'CSR version must be 1 (0)');
  }
  const algorithm = signatureAlgorithmByOid(parts.algorithmOid);
  if (algorithm === undefined) {
    return reject('unsupported-signature-algorithm', `CSR signature algorithm ${parts.algorithmOid}`);
  }
  let publicKey: KeyObject;
  try {
    publicKey = publicKeyFromSpki(parts.spki);
  } catch {
    return reject('malformed', 'CSR: SubjectPublicKeyInfo is not a valid public key');
  }
  const check = checkPublicKey(publicKey);
  if (check.type === 'error') return reject(check.reason, `CSR: ${check.message}`);
  if (!verifyData(algorithm, parts.info, publicKey, parts.signature)) {
    return reject('bad-signature', 'CSR signature does not verify with its public key');
  }
  return { type: 'ok', csr: { publicKey, keyKind: check.kind, subjectPublicKeyInfo: parts.spki } };
}

function reject(reason: CsrRejection, message: string): CsrResult {
  return { type: 'rejected', reason, message };
}

function split(der: Buffer) {
  const { tbs: infoTlv, algorithm: algTlv, signature: sigTlv } = readSigned(der, 'CSR', 'info');
  const [version, subject, spki] = children(der, infoTlv);
  if (version?.tag !== TAG.INTEGER || subject?.tag !== TAG.SEQUENCE || spki?.tag !== TAG.SEQUENCE) {
    throw new MalformedError('CSR: CertificationRequestInfo is missing version, subject or key');
  }
  const algOid = algTlv.tag === TAG.SEQUENCE ? children(der, algTlv)[0] : undefined;
  if (algOid?.tag !== TAG.OID) throw new MalformedError('CSR: bad signature AlgorithmIdentifier');
  const bits = contents(der, sigTlv);
  if (bits[0] !== 0) throw new MalformedError('CSR: signature has unused bits');
  return {
    info: slice(der, infoTlv),
    version: contents(der, version),
    spki: slice(der, spki),
    algorithmOid: decodeOid(contents(der, algOid)),
    signature: bits.subarray(1),
  };
}

/** Options for {@link createCsr}. */
export interface CreateCsrOptions {
  readonly privateKey: KeyObject;
  /** Optional subject common name (informational; the CA ignores it). */
  readonly commonName?: string;
}

/** Builds and signs a DER CSR for a key pair. The private key stays in this process. */
export function createCsr(options: CreateCsrOptions): Buffer {
  const spki: Asn1 = fromDer(spkiOf(options.privateKey));
  const info = seq([
    smallInteger(0),
    name(options.commonName === undefined ? [] : [['CN', options.commonName]]),
    spki,
    tagged(0, [], true),
  ]);
  const algorithm = signatureAlgorithmFor(options.privateKey);
  return wrapSigned(toDer(info), { privateKey: options.privateKey, algorithm });
}
