/** X.509 v3 extensions weft writes (RFC 5280 4.2), built with node-forge's ASN.1 types. */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { type Asn1, bitString, bool, octetString, oid, seq, smallInteger, tagged, toDer } from './asn1.js';
import { children, contents, readRoot, TAG } from './der.js';
import { MalformedError } from './errors.js';
import { EXT, KEY_USAGE_BITS, type KeyUsage } from './extension-ids.js';

export { EKU, EXT, KEY_USAGE_BITS, type KeyUsage } from './extension-ids.js';

/** One extension ready to encode. */
export interface Extension {
  readonly oid: string;
  readonly critical: boolean;
  /** The extension's value (encoded into the extnValue OCTET STRING). */
  readonly value: Asn1;
}

const encoded = new WeakMap<Extension, Asn1>();

/**
 * Extension ::= SEQUENCE { extnID, critical DEFAULT FALSE, extnValue OCTET STRING }. Memoized per
 * Extension object, so a CA's fixed extensions are encoded once, not per certificate.
 */
export function extensionToAsn1(ext: Extension): Asn1 {
  const cached = encoded.get(ext);
  if (cached) return cached;
  const parts = [oid(ext.oid)];
  if (ext.critical) parts.push(bool(true));
  parts.push(octetString(toDer(ext.value)));
  const node = seq(parts);
  encoded.set(ext, node);
  return node;
}

export function basicConstraints(options: { ca: boolean; pathLength?: number }): Extension {
  const parts: Asn1[] = [];
  if (options.ca) parts.push(bool(true));
  if (options.ca && options.pathLength !== undefined) parts.push(smallInteger(options.pathLength));
  return { oid: EXT.basicConstraints, critical: true, value: seq(parts) };
}

export function keyUsage(usages: readonly KeyUsage[]): Extension {
  let bits = 0;
  let highest = -1;
  for (const u of usages) {
    const i = KEY_USAGE_BITS.indexOf(u);
    bits |= 1 << i;
    highest = Math.max(highest, i);
  }
  const bytes = highest >= 8 ? 2 : 1;
  const out = Buffer.alloc(bytes);
  for (let i = 0; i <= highest; i++) {
    if (bits & (1 << i)) out[i >> 3] = (out[i >> 3] as number) | (0x80 >> (i & 7));
  }
  const unused = bytes * 8 - 1 - highest;
  return { oid: EXT.keyUsage, critical: true, value: bitString(out, unused) };
}

export function extKeyUsage(oids: readonly string[]): Extension {
  return { oid: EXT.extKeyUsage, critical: false, value: seq(oids.map(oid)) };
}

/** subjectAltName; critical when the subject is empty (RFC 5280 4.2.1.6). */
export function subjectAltName(
  names: { uris?: readonly string[]; dnsNames?: readonly string[]; ipAddresses?: readonly string[] },
  critical: boolean,
): Extension {
  const general: Asn1[] = [];
  for (const u of names.uris ?? []) general.push(tagged(6, u, false));
  for (const d of names.dnsNames ?? []) general.push(tagged(2, d, false));
  for (const ip of names.ipAddresses ?? []) general.push(tagged(7, ipBytes(ip), false));
  return { oid: EXT.subjectAltName, critical, value: seq(general) };
}

export function subjectKeyIdentifier(keyId: Uint8Array): Extension {
  return { oid: EXT.subjectKeyIdentifier, critical: false, value: octetString(keyId) };
}

export function authorityKeyIdentifier(keyId: Uint8Array): Extension {
  return {
    oid: EXT.authorityKeyIdentifier,
    critical: false,
    value: seq([tagged(0, Buffer.from(keyId).toString('latin1'), false)]),
  };
}

/** RFC 5280 method 1: SHA-1 of the subjectPublicKey BIT STRING (without the unused-bits byte). */
export function keyIdentifierOf(spkiDer: Buffer): Buffer {
  const root = readRoot(spkiDer, TAG.SEQUENCE, 'SubjectPublicKeyInfo');
  const [, key] = children(spkiDer, root);
  if (key === undefined || key.tag !== TAG.BIT_STRING)
    throw new MalformedError('SubjectPublicKeyInfo: no key');
  return createHash('sha1').update(contents(spkiDer, key).subarray(1)).digest();
}

function ipBytes(ip: string): string {
  const family = isIP(ip);
  if (family === 4) return String.fromCharCode(...ip.split('.').map(Number));
  if (family === 6) return asn1ipv6(ip);
  throw new MalformedError(`not an IP address: ${ip}`);
}

function asn1ipv6(ip: string): string {
  const [head = '', tail] = ip.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  if (ip.includes('.')) throw new MalformedError(`IPv4-mapped IPv6 SANs are not supported: ${ip}`);
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => {
    out.writeUInt16BE(Number.parseInt(g, 16), i * 2);
  });
  return out.toString('latin1');
}
