/** A set of trust anchors (roots); more than one while a root rotates. Immutable. */
import type { KeyObject } from 'node:crypto';
import { type CertificateInfo, parseCertificate } from './certificate.js';
import { derToPem, pemToDers } from './der.js';
import { MalformedError } from './errors.js';
import { publicKeyFromSpki } from './keys.js';

/** One trusted root with its parsed fields and public key. */
export interface TrustAnchor {
  readonly info: CertificateInfo;
  readonly publicKey: KeyObject;
}

/** The roots a peer's chain must end in. Build with {@link TrustBundle.fromPem} or {@link TrustBundle.fromDer}. */
export class TrustBundle {
  readonly anchors: readonly TrustAnchor[];

  private constructor(anchors: readonly TrustAnchor[]) {
    this.anchors = anchors;
  }

  /** Parses DER roots; each must be a CA certificate. Duplicates are dropped. Throws MalformedError. */
  static fromDer(ders: readonly Uint8Array[]): TrustBundle {
    const anchors: TrustAnchor[] = [];
    const seen = new Set<string>();
    for (const der of ders) {
      const buf = Buffer.from(der);
      const key = buf.toString('base64');
      if (seen.has(key)) continue;
      seen.add(key);
      const info = parseCertificate(buf);
      if (!info.isCa)
        throw new MalformedError('trust bundle: a root is not a CA certificate (basicConstraints)');
      anchors.push({ info, publicKey: publicKeyFromSpki(info.subjectPublicKeyInfo) });
    }
    if (anchors.length === 0) throw new MalformedError('trust bundle: no certificates');
    return new TrustBundle(anchors);
  }

  /** Parses every CERTIFICATE block of a PEM bundle. */
  static fromPem(pem: string): TrustBundle {
    return TrustBundle.fromDer(pemToDers(pem, 'CERTIFICATE'));
  }

  /** This bundle plus another's roots (rotation overlap: trust old and new). */
  merge(other: TrustBundle): TrustBundle {
    return TrustBundle.fromDer([...this.ders(), ...other.ders()]);
  }

  /** The roots as DER, in order. */
  ders(): Buffer[] {
    return this.anchors.map((a) => a.info.der);
  }

  /** The roots as one PEM string (for node:tls `ca`). */
  toPem(): string {
    return this.anchors.map((a) => derToPem(a.info.der, 'CERTIFICATE')).join('');
  }
}
