/** Where the proxy's workload certificate comes from: a small interface the identity client implements. */
import { EventEmitter } from 'node:events';

/** The material a proxy needs for mTLS, all PEM. */
export interface CertificateMaterial {
  /** The workload's private key (never leaves the proxy). */
  readonly key: string;
  /** The leaf certificate followed by its issuers, leaf first. */
  readonly certChain: string;
  /** The trust anchors peers are verified against (may hold old and new roots while rotating). */
  readonly trustBundle: string;
}

/**
 * Gives the proxy its current SVID. Implemented by the identity client (Certify) and, for
 * tests and static setups, by `StaticCertificateSource`. `current()` is undefined until the
 * first certificate is held; `onChange` fires after every rotation (and the first issue).
 */
export interface CertificateSource {
  current(): CertificateMaterial | undefined;
  onChange(listener: (material: CertificateMaterial) => void): () => void;
}

/** A certificate source whose material is set by hand (tests, files, the identity client's adapter). */
export class StaticCertificateSource implements CertificateSource {
  private material: CertificateMaterial | undefined;
  private readonly events = new EventEmitter();

  constructor(material?: CertificateMaterial) {
    this.material = material;
  }

  current(): CertificateMaterial | undefined {
    return this.material;
  }

  /** Replaces the material and notifies listeners. */
  set(material: CertificateMaterial): void {
    this.material = material;
    this.events.emit('change', material);
  }

  onChange(listener: (material: CertificateMaterial) => void): () => void {
    this.events.on('change', listener);
    return () => this.events.off('change', listener);
  }
}
