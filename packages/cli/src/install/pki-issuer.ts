/** The IdentityIssuer over @weft/pki: `weft install` owns no certificate code of its own. */
import {
  CertificateAuthority,
  createIdentityMaterial,
  derToPem,
  generateKeyPair,
  parseCertificate,
  pemToDer,
  privateKeyFromPem,
  privateKeyToPem,
  TrustBundle,
  trustDomainOf,
} from '@weft/pki';
import type { CaFiles, IdentityIssuer } from './identity.js';

function authorityFor(ca: CaFiles, trustDomain: string, lifetimeMs: number): CertificateAuthority {
  return new CertificateAuthority({
    trustDomain,
    issuer: {
      certificate: pemToDer(ca.issuerCrt, 'CERTIFICATE'),
      privateKey: privateKeyFromPem(ca.issuerKey),
    },
    trustAnchors: TrustBundle.fromPem(ca.caCrt),
    defaultLifetimeMs: Math.max(lifetimeMs, 1000),
    maxLifetimeMs: Math.max(lifetimeMs, 1000),
  });
}

/** The same lifetimes as `weft identity create-ca` uses by default. */
const ANCHOR_VALIDITY_MS = 10 * 365 * 86_400_000;
const ISSUER_VALIDITY_MS = 365 * 86_400_000;

/** Creates the trust anchor, issuer and serving certificates with @weft/pki. */
export const pkiIssuer: IdentityIssuer = {
  createCa({ trustDomain }) {
    const material = createIdentityMaterial({
      trustDomain,
      anchorValidityMs: ANCHOR_VALIDITY_MS,
      issuerValidityMs: ISSUER_VALIDITY_MS,
    });
    return {
      caCrt: derToPem(material.anchor.certificate, 'CERTIFICATE'),
      issuerCrt: derToPem(material.issuer.certificate, 'CERTIFICATE'),
      issuerKey: privateKeyToPem(material.issuer.privateKey),
      tokenKey: privateKeyToPem(material.tokenKey),
    };
  },

  check(ca) {
    const info = parseCertificate(pemToDer(ca.issuerCrt, 'CERTIFICATE'));
    const trustDomain = trustDomainOf(info);
    // The constructor verifies the issuer key and the chain to the anchor.
    authorityFor(ca, trustDomain ?? 'cluster.local', 0);
    privateKeyFromPem(ca.tokenKey);
    return trustDomain === undefined
      ? { issuerNotAfter: info.notAfter }
      : { trustDomain, issuerNotAfter: info.notAfter };
  },

  issueServing({ ca, trustDomain, identity, dnsNames, lifetimeMs }) {
    const authority = authorityFor(ca, trustDomain, lifetimeMs);
    const { privateKey, publicKey } = generateKeyPair();
    const issued = authority.issueForKey({ publicKey, identity, dnsNames, lifetimeMs });
    return {
      chainPem: issued.chain.map((der) => derToPem(der, 'CERTIFICATE')).join(''),
      keyPem: privateKeyToPem(privateKey),
    };
  },
};
