/** Test support: ECDSA P-256 server certificates for DNS names, issued by a throwaway CA (weft's own PKI, signed by node:crypto). */
import { X509Certificate } from 'node:crypto';
import {
  CertificateAuthority,
  createIssuer,
  createTrustAnchor,
  generateKeyPair,
  privateKeyToPem,
  TrustBundle,
} from '@weft/pki';

export interface TestCertificate {
  readonly chainPem: string;
  readonly keyPem: string;
  readonly serial: string;
}

export interface TestCa {
  /** PEM of the root clients trust. */
  readonly caPem: string;
  /** A fresh ECDSA P-256 certificate for `dnsNames` (leaf, then the issuer). */
  issue(dnsNames: readonly string[], lifetimeMs?: number): TestCertificate;
}

export function createTestCa(): TestCa {
  const day = 86_400_000;
  const anchor = createTrustAnchor({
    trustDomain: 'gateway.test',
    validityMs: day,
    keyAlgorithm: 'ecdsa-p256',
  });
  const issuer = createIssuer({
    trustDomain: 'gateway.test',
    validityMs: day,
    anchor,
    keyAlgorithm: 'ecdsa-p256',
  });
  const ca = new CertificateAuthority({
    trustDomain: 'gateway.test',
    issuer,
    trustAnchors: TrustBundle.fromDer([anchor.certificate]),
    maxLifetimeMs: day,
  });
  const pem = (der: Uint8Array) => new X509Certificate(der).toString();
  return {
    caPem: pem(anchor.certificate),
    issue(dnsNames, lifetimeMs = 3_600_000) {
      const { privateKey, publicKey } = generateKeyPair('ecdsa-p256');
      const issued = ca.issueForKey({
        publicKey,
        identity: 'spiffe://gateway.test/ns/test/sa/server',
        dnsNames,
        lifetimeMs,
      });
      return {
        chainPem: issued.chain.map(pem).join(''),
        keyPem: privateKeyToPem(privateKey),
        serial: issued.serialHex,
      };
    },
  };
}
