/** Builds and rotates the TLS contexts used between proxies (server side inbound, client side outbound). */
import { createSecureContext, type SecureContext } from 'node:tls';
import type { CertificateMaterial, CertificateSource } from './certificate-source.js';

/** ALPN protocol for proxy-to-proxy connections: an 8-byte weft preamble follows the handshake. */
export const MESH_ALPN = 'weft.1';

/**
 * ALPN protocol for multiplexed proxy-to-proxy connections: weft.2 frames follow the handshake
 * (see transport/frame.ts). Clients offer it before weft.1; a server that does not know it picks weft.1.
 */
export const WEFT2_ALPN = 'weft.2';

/**
 * Holds the current server and client SecureContexts built from a CertificateSource and
 * rebuilds them when the certificate rotates; connections already open keep their context.
 */
export class TlsContexts {
  private serverContext: SecureContext | undefined;
  private currentMaterial: CertificateMaterial | undefined;
  private readonly listeners = new Set<(m: CertificateMaterial) => void>();
  private clientContext: SecureContext | undefined;
  private readonly unsubscribe: () => void;
  /** Bumped on every rotation, so pools can retire connections made with an older certificate. */
  generation = 0;

  constructor(source: CertificateSource) {
    const initial = source.current();
    if (initial !== undefined) this.build(initial);
    this.unsubscribe = source.onChange((material) => this.build(material));
  }

  /** True once a certificate is held. */
  get ready(): boolean {
    return this.serverContext !== undefined;
  }

  /** The material the contexts were built from. */
  material(): CertificateMaterial | undefined {
    return this.currentMaterial;
  }

  /** Runs `listener` after each rotation. */
  onRotate(listener: (m: CertificateMaterial) => void): void {
    this.listeners.add(listener);
  }

  /** The context for the inbound TLS server; undefined until a certificate is held. */
  server(): SecureContext | undefined {
    return this.serverContext;
  }

  /** The context for dialing other proxies; undefined until a certificate is held. */
  client(): SecureContext | undefined {
    return this.clientContext;
  }

  close(): void {
    this.unsubscribe();
  }

  private build(material: CertificateMaterial): void {
    const common = {
      key: material.key,
      cert: material.certChain,
      ca: material.trustBundle,
      minVersion: 'TLSv1.3' as const,
    };
    this.serverContext = createSecureContext(common);
    this.clientContext = createSecureContext(common);
    this.generation++;
    this.currentMaterial = material;
    for (const l of this.listeners) l(material);
  }
}
