/** Reads the fields of an X.509 certificate that weft checks, from exact DER byte ranges. */
import { children, contents, decodeOid, readRoot, readSigned, slice, TAG, type Tlv } from './der.js';
import { MalformedError } from './errors.js';
import { EXT, KEY_USAGE_BITS, type KeyUsage } from './extension-ids.js';

/** The parts of a certificate weft uses; DER slices point into `der`. */
export interface CertificateInfo {
  readonly der: Buffer;
  /** The signed bytes. */
  readonly tbs: Buffer;
  readonly signatureAlgorithmOid: string;
  readonly signature: Buffer;
  /** Lowercase hex of the serial's magnitude, without leading zero bytes (as node:tls reports it). */
  readonly serialHex: string;
  /** The issuer and subject Names, as DER (compared byte for byte when building paths). */
  readonly issuerName: Buffer;
  readonly subjectName: Buffer;
  readonly notBefore: number;
  readonly notAfter: number;
  readonly subjectPublicKeyInfo: Buffer;
  /** basicConstraints cA (false when the extension is absent). */
  readonly isCa: boolean;
  readonly pathLength: number | undefined;
  /** keyUsage bits, or undefined when the extension is absent. */
  readonly keyUsage: ReadonlySet<KeyUsage> | undefined;
  /** extKeyUsage OIDs, or undefined when the extension is absent. */
  readonly extKeyUsage: readonly string[] | undefined;
  readonly uris: readonly string[];
  readonly dnsNames: readonly string[];
  readonly subjectKeyId: Buffer | undefined;
  /** OIDs of critical extensions weft does not understand (RFC 5280: reject such certificates). */
  readonly unknownCritical: readonly string[];
}

/** Parses a DER certificate; throws MalformedError naming what is wrong. */
export function parseCertificate(der: Buffer): CertificateInfo {
  try {
    return parse(der);
  } catch (err) {
    if (err instanceof MalformedError) throw err;
    throw new MalformedError('certificate: not valid DER', { cause: err });
  }
}

function parse(der: Buffer): CertificateInfo {
  const { tbs: tbsTlv, algorithm: algTlv, signature: sigTlv } = readSigned(der, 'certificate', 'tbs');
  const fields = children(der, tbsTlv);
  let i = 0;
  if (fields[0]?.tag === 0xa0) i++;
  const [serial, sigAlg, issuer, validity, subject, spki] = fields.slice(i, i + 6);
  if (!serial || !sigAlg || !issuer || !validity || !subject || !spki) {
    throw new MalformedError('certificate: TBSCertificate is missing fields');
  }
  if (serial.tag !== TAG.INTEGER || issuer.tag !== TAG.SEQUENCE || subject.tag !== TAG.SEQUENCE) {
    throw new MalformedError('certificate: bad serial or name');
  }
  const outerAlg = algorithmOid(der, algTlv);
  if (algorithmOid(der, sigAlg) !== outerAlg)
    throw new MalformedError('certificate: signature algorithms differ');
  const [nb, na] = children(der, validity);
  if (!nb || !na) throw new MalformedError('certificate: bad validity');
  const signatureBits = contents(der, sigTlv);
  if (signatureBits[0] !== 0) throw new MalformedError('certificate: signature has unused bits');
  const info: Mutable<CertificateInfo> = {
    der,
    tbs: slice(der, tbsTlv),
    signatureAlgorithmOid: outerAlg,
    signature: signatureBits.subarray(1),
    serialHex: serialToHex(contents(der, serial)),
    issuerName: slice(der, issuer),
    subjectName: slice(der, subject),
    notBefore: readTime(der, nb),
    notAfter: readTime(der, na),
    subjectPublicKeyInfo: slice(der, spki),
    isCa: false,
    pathLength: undefined,
    keyUsage: undefined,
    extKeyUsage: undefined,
    uris: [],
    dnsNames: [],
    subjectKeyId: undefined,
    unknownCritical: [],
  };
  const extsWrapper = fields.slice(i + 6).find((f) => f.tag === 0xa3);
  if (extsWrapper) readExtensions(der, extsWrapper, info);
  return info;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function algorithmOid(der: Buffer, alg: Tlv): string {
  const first = alg.tag === TAG.SEQUENCE ? children(der, alg)[0] : undefined;
  if (!first || first.tag !== TAG.OID) throw new MalformedError('certificate: bad AlgorithmIdentifier');
  return decodeOid(contents(der, first));
}

function readTime(der: Buffer, tlv: Tlv): number {
  const text = contents(der, tlv).toString('latin1');
  // RFC 5280 4.1.2.5: UTCTime years 50-99 are 19xx, 00-49 are 20xx; both forms in Zulu, with seconds.
  const utc = tlv.tag === TAG.UTC_TIME ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text) : null;
  const gen =
    tlv.tag === TAG.GENERALIZED_TIME ? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text) : null;
  const m = utc ?? gen;
  if (m === null)
    throw new MalformedError('certificate: validity time is not UTCTime/GeneralizedTime in Zulu');
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const fullYear = utc === null ? year : year >= 50 ? 1900 + year : 2000 + year;
  const date = new Date(0);
  date.setUTCFullYear(fullYear, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  return date.getTime();
}

function readExtensions(der: Buffer, wrapper: Tlv, info: Mutable<CertificateInfo>): void {
  const [list] = children(der, wrapper);
  if (!list || list.tag !== TAG.SEQUENCE) throw new MalformedError('certificate: bad extensions');
  const seen = new Set<string>();
  for (const ext of children(der, list)) {
    const parts = children(der, ext);
    const idTlv = parts[0];
    if (!idTlv || idTlv.tag !== TAG.OID) throw new MalformedError('certificate: bad extension');
    const id = decodeOid(contents(der, idTlv));
    if (seen.has(id)) throw new MalformedError(`certificate: duplicate extension ${id}`);
    seen.add(id);
    const critical = parts[1]?.tag === TAG.BOOLEAN && der[parts[1].contentStart] !== 0;
    const valueTlv = parts[parts.length - 1];
    if (!valueTlv || valueTlv.tag !== TAG.OCTET_STRING)
      throw new MalformedError('certificate: bad extension value');
    const value = contents(der, valueTlv);
    readExtension(id, value, critical, info);
  }
}

function readExtension(id: string, value: Buffer, critical: boolean, info: Mutable<CertificateInfo>): void {
  switch (id) {
    case EXT.basicConstraints: {
      const root = readRoot(value, TAG.SEQUENCE, 'basicConstraints');
      for (const part of children(value, root)) {
        if (part.tag === TAG.BOOLEAN) info.isCa = value[part.contentStart] !== 0;
        if (part.tag === TAG.INTEGER)
          info.pathLength = contents(value, part).readUIntBE(0, part.end - part.contentStart);
      }
      return;
    }
    case EXT.keyUsage: {
      const root = readRoot(value, TAG.BIT_STRING, 'keyUsage');
      const bits = contents(value, root).subarray(1);
      const set = new Set<KeyUsage>();
      KEY_USAGE_BITS.forEach((name, bit) => {
        if (((bits[bit >> 3] ?? 0) & (0x80 >> (bit & 7))) !== 0) set.add(name);
      });
      info.keyUsage = set;
      return;
    }
    case EXT.extKeyUsage: {
      const root = readRoot(value, TAG.SEQUENCE, 'extKeyUsage');
      info.extKeyUsage = children(value, root).map((t) => decodeOid(contents(value, t)));
      return;
    }
    case EXT.subjectAltName: {
      const root = readRoot(value, TAG.SEQUENCE, 'subjectAltName');
      const uris: string[] = [];
      const dns: string[] = [];
      for (const gn of children(value, root)) {
        if (gn.tag === 0x86) uris.push(contents(value, gn).toString('latin1'));
        if (gn.tag === 0x82) dns.push(contents(value, gn).toString('latin1'));
      }
      info.uris = uris;
      info.dnsNames = dns;
      return;
    }
    case EXT.subjectKeyIdentifier: {
      const root = readRoot(value, TAG.OCTET_STRING, 'subjectKeyIdentifier');
      info.subjectKeyId = Buffer.from(contents(value, root));
      return;
    }
    case EXT.authorityKeyIdentifier:
      return;
    default:
      if (critical) info.unknownCritical = [...info.unknownCritical, id];
  }
}

/** Hex of a serial number's magnitude without leading zero bytes (keeps one byte for zero). */
export function serialToHex(bytes: Uint8Array): string {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  return Buffer.from(bytes.subarray(i)).toString('hex');
}
