/** Minimal DER reading (exact byte ranges, no re-encoding) and PEM armor, for certificates and CSRs. */
import { MalformedError } from './errors.js';

/** One DER element: its tag byte and where its header and contents sit in the buffer. */
export interface Tlv {
  readonly tag: number;
  /** Offset of the tag byte. */
  readonly start: number;
  /** Offset of the first content byte. */
  readonly contentStart: number;
  /** Offset just past the contents. */
  readonly end: number;
}

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** Reads the element at `offset` of `buf`, within `limit` (default: the buffer's end). */
export function readTlv(buf: Uint8Array, offset: number, limit = buf.length): Tlv {
  if (offset + 2 > limit) throw new MalformedError('DER: truncated element header');
  const tag = buf[offset] as number;
  if ((tag & 0x1f) === 0x1f) throw new MalformedError('DER: multi-byte tags are not supported');
  let lenByte = buf[offset + 1] as number;
  let contentStart = offset + 2;
  let length = lenByte;
  if (lenByte & 0x80) {
    lenByte &= 0x7f;
    if (lenByte === 0) throw new MalformedError('DER: indefinite length is not DER');
    if (lenByte > 4) throw new MalformedError('DER: length too large');
    if (contentStart + lenByte > limit) throw new MalformedError('DER: truncated length');
    length = 0;
    for (let i = 0; i < lenByte; i++) length = length * 256 + (buf[contentStart + i] as number);
    contentStart += lenByte;
    if (length < 0x80 || (lenByte > 1 && buf[offset + 2] === 0)) {
      throw new MalformedError('DER: length not minimally encoded');
    }
  }
  const end = contentStart + length;
  if (end > limit) throw new MalformedError('DER: element runs past its container');
  return { tag, start: offset, contentStart, end };
}

/** Reads one top-level element that must span the whole buffer. */
export function readRoot(buf: Uint8Array, expectedTag: number, what: string): Tlv {
  const tlv = readTlv(buf, 0);
  if (tlv.tag !== expectedTag) throw new MalformedError(`${what}: unexpected outer tag`);
  if (tlv.end !== buf.length) throw new MalformedError(`${what}: trailing bytes after the structure`);
  return tlv;
}

/**
 * The parts of a signed structure spanning the whole buffer, X.509's SIGNED{}:
 * SEQUENCE { toBeSigned SEQUENCE, algorithm, signature BIT STRING }. `what` names the structure
 * in errors and `first` its to-be-signed part ("tbs" of a certificate, "info" of a CSR).
 */
export function readSigned(
  buf: Uint8Array,
  what: string,
  first: string,
): { readonly tbs: Tlv; readonly algorithm: Tlv; readonly signature: Tlv } {
  const root = readRoot(buf, TAG.SEQUENCE, what);
  const [tbs, algorithm, signature, extra] = children(buf, root);
  if (
    !tbs ||
    !algorithm ||
    !signature ||
    extra ||
    tbs.tag !== TAG.SEQUENCE ||
    signature.tag !== TAG.BIT_STRING
  ) {
    throw new MalformedError(`${what}: expected SEQUENCE { ${first}, algorithm, signature }`);
  }
  return { tbs, algorithm, signature };
}

/** The child elements of a constructed element. */
export function children(buf: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  let at = parent.contentStart;
  while (at < parent.end) {
    const child = readTlv(buf, at, parent.end);
    out.push(child);
    at = child.end;
  }
  return out;
}

/** The whole encoding (header and contents) of an element. */
export function slice(buf: Buffer, tlv: Tlv): Buffer {
  return buf.subarray(tlv.start, tlv.end);
}

/** The contents of an element. */
export function contents(buf: Buffer, tlv: Tlv): Buffer {
  return buf.subarray(tlv.contentStart, tlv.end);
}

/** Decodes an OBJECT IDENTIFIER's contents to dotted form. */
export function decodeOid(bytes: Uint8Array): string {
  if (bytes.length === 0) throw new MalformedError('DER: empty OID');
  const parts: number[] = [];
  let value = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    value = value * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) {
      if (parts.length === 0) {
        const first = value < 80 ? Math.floor(value / 40) : 2;
        parts.push(first, value - first * 40);
      } else {
        parts.push(value);
      }
      value = 0;
    } else if (i === bytes.length - 1) {
      throw new MalformedError('DER: truncated OID');
    }
  }
  return parts.join('.');
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/** The DER contents of every PEM block labelled `label` in `pem`, in order. */
export function pemToDers(pem: string, label: string): Buffer[] {
  const out: Buffer[] = [];
  for (const m of pem.matchAll(PEM_BLOCK)) {
    if (m[1] !== label) continue;
    const body = (m[2] as string).replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body) || body.length % 4 !== 0) {
      throw new MalformedError(`PEM: invalid base64 in a ${label} block`);
    }
    out.push(Buffer.from(body, 'base64'));
  }
  return out;
}

/** Exactly one PEM block labelled `label`. */
export function pemToDer(pem: string, label: string): Buffer {
  const ders = pemToDers(pem, label);
  if (ders.length !== 1) throw new MalformedError(`PEM: expected one ${label} block, found ${ders.length}`);
  return ders[0] as Buffer;
}

/** Armors DER as PEM with 64-column lines. */
export function derToPem(der: Uint8Array, label: string): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
