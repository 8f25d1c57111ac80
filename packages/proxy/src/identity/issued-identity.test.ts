import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { CertificateAuthority, createIssuer, createTrustAnchor, TrustBundle } from '@weft/pki';
import { describe, expect, it } from 'vitest';
import { issuedIdentity } from './issued-identity.js';

const YEAR = 365 * 86400_000;
const anchor = createTrustAnchor({ trustDomain: 'cluster.local', validityMs: 10 * YEAR });
const issuer = createIssuer({ trustDomain: 'cluster.local', validityMs: YEAR, anchor });
const ca = new CertificateAuthority({
  trustDomain: 'cluster.local',
  issuer,
  trustAnchors: TrustBundle.fromDer([anchor.certificate]),
});

function material(identity: string) {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const issued = ca.issueForKey({ publicKey, identity });
  const certChain = issued.chain.map((der) => new X509Certificate(der).toString()).join('');
  return { key: '', certChain, trustBundle: '' };
}

describe('issuedIdentity', () => {
  it('reads namespace and service account from the SVID the token got', () => {
    expect(issuedIdentity(material('spiffe://cluster.local/ns/shop/sa/api-v1'))).toEqual({
      spiffeId: 'spiffe://cluster.local/ns/shop/sa/api-v1',
      namespace: 'shop',
      serviceAccount: 'api-v1',
    });
  });

  it('is undefined without a certificate, or for an ID that is no workload', () => {
    expect(issuedIdentity(undefined)).toBeUndefined();
    expect(issuedIdentity({ key: '', certChain: 'garbage', trustBundle: '' })).toBeUndefined();
    expect(issuedIdentity(material('spiffe://cluster.local/weft/control-plane'))).toBeUndefined();
  });
});
