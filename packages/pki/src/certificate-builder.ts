/** Builds a certificate's TBS with node-forge and signs its DER with node:crypto. */

import type { KeyObject } from 'node:crypto';
import { randomBytes } from 'node:crypto';
import {
  type Asn1,
  algorithmIdentifier,
  bitString,
  seq,
  smallInteger,
  tagged,
  time,
  toDer,
  unsignedInteger,
} from './asn1.js';
import { type Extension, extensionToAsn1 } from './extensions.js';
import { type SignatureAlgorithm, signData } from './keys.js';

/** Everything in a certificate except its signature. */
export interface CertificateTemplate {
  /** Serial number magnitude (big-endian); see {@link randomSerial}. */
  readonly serial: Uint8Array;
  readonly issuer: Asn1;
  readonly subject: Asn1;
  readonly notBefore: number;
  readonly notAfter: number;
  /** The subject's SubjectPublicKeyInfo as a forge tree (parsed from its DER). */
  readonly subjectPublicKeyInfo: Asn1;
  readonly extensions: readonly Extension[];
}

/** Who signs: the private key and the algorithm named in the certificate. */
export interface Signer {
  readonly privateKey: KeyObject;
  readonly algorithm: SignatureAlgorithm;
}

/** A random positive 128-bit serial number (RFC 5280 allows up to 20 octets). */
export function randomSerial(): Buffer {
  return randomBytes(16);
}

/** Encodes the TBSCertificate (v3) for `template` as DER. */
export function encodeTbs(template: CertificateTemplate, algorithm: SignatureAlgorithm): Buffer {
  const fields: Asn1[] = [
    tagged(0, [smallInteger(2)], true),
    unsignedInteger(template.serial),
    algorithmIdentifier(algorithm.oid, algorithm.nullParameters),
    template.issuer,
    seq([time(template.notBefore), time(template.notAfter)]),
    template.subject,
    template.subjectPublicKeyInfo,
  ];
  if (template.extensions.length > 0) {
    fields.push(tagged(3, [seq(template.extensions.map(extensionToAsn1))], true));
  }
  return toDer(seq(fields));
}

/** Signs the TBS natively and returns the certificate's DER. */
export function signCertificate(template: CertificateTemplate, signer: Signer): Buffer {
  const tbs = encodeTbs(template, signer.algorithm);
  return wrapSigned(tbs, signer);
}

/** SEQUENCE { tbs, AlgorithmIdentifier, BIT STRING signature } for a TBS certificate or CSR info. */
export function wrapSigned(tbsDer: Buffer, signer: Signer): Buffer {
  const signature = signData(signer.algorithm, tbsDer, signer.privateKey);
  const tail = toDer(algorithmIdentifier(signer.algorithm.oid, signer.algorithm.nullParameters));
  const sig = toDer(bitString(signature));
  return derSequence([tbsDer, tail, sig]);
}

/** Concatenates already-encoded elements under one SEQUENCE header (no re-parse of the TBS). */
function derSequence(parts: Buffer[]): Buffer {
  const length = parts.reduce((n, p) => n + p.length, 0);
  let header: Buffer;
  if (length < 0x80) header = Buffer.of(0x30, length);
  else if (length < 0x100) header = Buffer.of(0x30, 0x81, length);
  else if (length < 0x10000) header = Buffer.of(0x30, 0x82, length >> 8, length & 0xff);
  else header = Buffer.of(0x30, 0x83, length >> 16, (length >> 8) & 0xff, length & 0xff);
  return Buffer.concat([header, ...parts], header.length + length);
}
