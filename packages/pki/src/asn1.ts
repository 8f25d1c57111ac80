/** Thin helpers over node-forge's ASN.1 builder: forge builds structures, Buffers carry the DER. */
import forge from 'node-forge';

const { asn1 } = forge;
type Asn1 = forge.asn1.Asn1;

export type { Asn1 };

const U = asn1.Class.UNIVERSAL;

/** A Buffer as forge's binary string. */
export function bin(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** Encodes a forge ASN.1 tree to a DER Buffer. */
export function toDer(node: Asn1): Buffer {
  return Buffer.from(asn1.toDer(node).getBytes(), 'latin1');
}

/** Parses DER into a forge ASN.1 tree (strict). */
export function fromDer(der: Uint8Array): Asn1 {
  return asn1.fromDer(bin(der), true);
}

export function seq(items: Asn1[]): Asn1 {
  return asn1.create(U, asn1.Type.SEQUENCE, true, items);
}

export function oid(dotted: string): Asn1 {
  return asn1.create(U, asn1.Type.OID, false, asn1.oidToDer(dotted).getBytes());
}

export function nullValue(): Asn1 {
  return asn1.create(U, asn1.Type.NULL, false, '');
}

export function bool(value: boolean): Asn1 {
  return asn1.create(U, asn1.Type.BOOLEAN, false, value ? '\xff' : '\x00');
}

/** A non-negative INTEGER from big-endian magnitude bytes (minimal, positive encoding). */
export function unsignedInteger(magnitude: Uint8Array): Asn1 {
  let i = 0;
  while (i < magnitude.length - 1 && magnitude[i] === 0) i++;
  let bytes = Buffer.from(magnitude.subarray(i));
  if (((bytes[0] ?? 0) & 0x80) !== 0) bytes = Buffer.concat([Buffer.of(0), bytes]);
  return asn1.create(U, asn1.Type.INTEGER, false, bin(bytes));
}

export function smallInteger(value: number): Asn1 {
  return asn1.create(U, asn1.Type.INTEGER, false, asn1.integerToDer(value).getBytes());
}

export function octetString(bytes: Uint8Array): Asn1 {
  return asn1.create(U, asn1.Type.OCTETSTRING, false, bin(bytes));
}

/** A BIT STRING with `unused` trailing bits in the last byte. */
export function bitString(bytes: Uint8Array, unused = 0): Asn1 {
  return asn1.create(U, asn1.Type.BITSTRING, false, String.fromCharCode(unused) + bin(bytes));
}

/** A context-specific tagged element, explicit (constructed) or implicit (primitive). */
export function tagged(tag: number, value: Asn1[] | string, constructed: boolean): Asn1 {
  return asn1.create(asn1.Class.CONTEXT_SPECIFIC, tag, constructed, value);
}

/** UTCTime before 2050, GeneralizedTime from 2050 on (RFC 5280 4.1.2.5); whole seconds. */
export function time(ms: number): Asn1 {
  const date = new Date(Math.floor(ms / 1000) * 1000);
  return date.getUTCFullYear() < 2050
    ? asn1.create(U, asn1.Type.UTCTIME, false, asn1.dateToUtcTime(date))
    : asn1.create(U, asn1.Type.GENERALIZEDTIME, false, asn1.dateToGeneralizedTime(date));
}

/** Attribute types weft writes in names. */
export const NAME_OID = { CN: '2.5.4.3', O: '2.5.4.10' } as const;

/** An X.509 Name from (attribute, value) pairs, e.g. [['O', 'weft'], ['CN', 'issuer']], UTF8String values. */
export function name(attributes: ReadonlyArray<readonly [keyof typeof NAME_OID, string]>): Asn1 {
  return forge.pki.distinguishedNameToAsn1({
    attributes: attributes.map(([short, value]) => ({
      type: NAME_OID[short],
      value,
      valueTagClass: asn1.Type.UTF8,
    })),
  } as unknown as Parameters<typeof forge.pki.distinguishedNameToAsn1>[0]);
}

/** AlgorithmIdentifier for a signature OID (NULL parameters for RSA, absent for ECDSA). */
export function algorithmIdentifier(dotted: string, nullParameters: boolean): Asn1 {
  return seq(nullParameters ? [oid(dotted), nullValue()] : [oid(dotted)]);
}
