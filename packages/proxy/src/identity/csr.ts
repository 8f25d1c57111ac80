/**
 * A PKCS#10 certificate signing request (RFC 2986) built with node:crypto and a few lines of DER,
 * so the sidecar does not load node-forge (~2.5 MB resident, ~40 ms at start-up) for one
 * request per certificate. The CA keeps node-forge; it accepts only what `verifyCsr` checks:
 * version 0, a supported key, and a self-signature that verifies.
 */
import { createPublicKey, type KeyObject, sign } from 'node:crypto';

/** Options for {@link buildCsr}. */
export interface BuildCsrOptions {
  /** An EC (P-256 / P-384) or RSA private key; it signs the request and never leaves the process. */
  readonly privateKey: KeyObject;
  /** An optional subject common name (informational: the CA takes the identity from the token). */
  readonly commonName?: string;
}

/** ecdsa-with-SHA256 (RFC 5758) and sha256WithRSAEncryption (RFC 4055), as DER AlgorithmIdentifiers. */
const ECDSA_SHA256 = Buffer.from('300a06082a8648ce3d040302', 'hex');
const RSA_SHA256 = Buffer.from('300d06092a864886f70d01010b0500', 'hex');
/** The OID of the X.520 commonName attribute (2.5.4.3). */
const COMMON_NAME_OID = Buffer.from('0603550403', 'hex');

const TAG = { INTEGER: 0x02, BIT_STRING: 0x03, UTF8_STRING: 0x0c, SEQUENCE: 0x30, SET: 0x31 } as const;
/** [0] IMPLICIT, constructed: the (empty) attributes of CertificationRequestInfo. */
const ATTRIBUTES = Buffer.from([0xa0, 0x00]);

/** One DER TLV with a definite length. */
export function der(tag: number, ...contents: Buffer[]): Buffer {
  const body = contents.length === 1 ? (contents[0] as Buffer) : Buffer.concat(contents);
  const n = body.length;
  let head: Buffer;
  if (n < 0x80) head = Buffer.from([tag, n]);
  else if (n < 0x100) head = Buffer.from([tag, 0x81, n]);
  else if (n < 0x10000) head = Buffer.from([tag, 0x82, n >> 8, n & 0xff]);
  else if (n < 0x1000000) head = Buffer.from([tag, 0x83, n >> 16, (n >> 8) & 0xff, n & 0xff]);
  else throw new RangeError(`DER value of ${n} bytes is too long for a CSR`);
  return Buffer.concat([head, body]);
}

function subject(commonName: string | undefined): Buffer {
  if (commonName === undefined) return der(TAG.SEQUENCE, Buffer.alloc(0));
  const attribute = der(TAG.SEQUENCE, COMMON_NAME_OID, der(TAG.UTF8_STRING, Buffer.from(commonName, 'utf8')));
  return der(TAG.SEQUENCE, der(TAG.SET, attribute));
}

/** Builds and signs a DER CSR for `privateKey` (SHA-256: ECDSA, or RSA PKCS#1 v1.5). */
export function buildCsr(options: BuildCsrOptions): Buffer {
  const { privateKey } = options;
  const type = privateKey.asymmetricKeyType;
  if (privateKey.type !== 'private' || (type !== 'ec' && type !== 'rsa')) {
    throw new TypeError(`a CSR needs an EC or RSA private key, not ${privateKey.type} ${String(type)}`);
  }
  const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  const info = der(
    TAG.SEQUENCE,
    der(TAG.INTEGER, Buffer.from([0])),
    subject(options.commonName),
    spki,
    ATTRIBUTES,
  );
  // node:crypto signs ECDSA as a DER Ecdsa-Sig-Value, which is what X.509 carries.
  const signature = sign('sha256', info, privateKey);
  const bits = der(TAG.BIT_STRING, Buffer.from([0]), signature);
  return der(TAG.SEQUENCE, info, type === 'ec' ? ECDSA_SHA256 : RSA_SHA256, bits);
}
