/** Adapts the identity CertificateManager (Certify + rotation) to the proxy's CertificateSource. */
import type { CertificateManager } from '../identity/certificate-manager.js';
import { StaticCertificateSource } from './certificate-source.js';

/** A CertificateSource fed by `manager`'s rotations (empty until the first certificate). */
export function certificateSourceFrom(manager: CertificateManager): StaticCertificateSource {
  const source = new StaticCertificateSource();
  const svid = manager.current();
  if (svid !== undefined)
    source.set({ key: svid.tls.key, certChain: svid.tls.cert, trustBundle: svid.tls.ca });
  manager.on('rotated', (s) => source.set({ key: s.tls.key, certChain: s.tls.cert, trustBundle: s.tls.ca }));
  return source;
}
