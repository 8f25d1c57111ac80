import { systemClock } from '@weft/core';
import {
  CertificateAuthority,
  certificateFingerprint,
  createIssuer,
  createTrustAnchor,
  generateKeyPair,
  type LoadedIdentity,
  TrustBundle,
} from '@weft/pki';
import { describe, expect, it } from 'vitest';
import type { ProxyCertificate } from '../discovery/discovery-service.js';
import { rotationReport } from './rotation-report.js';

const TD = 'cluster.local';
const DAY = 86_400_000;
const later = { ...systemClock, now: () => Date.now() + 60_000 };
const oldAnchor = createTrustAnchor({ trustDomain: TD, validityMs: 10 * DAY });
const newAnchor = createTrustAnchor({ trustDomain: TD, validityMs: 10 * DAY, clock: later });
const oldIssuer = createIssuer({ trustDomain: TD, validityMs: DAY, anchor: oldAnchor });
const newIssuer = createIssuer({ trustDomain: TD, validityMs: DAY, anchor: newAnchor, clock: later });

function identity(anchors: Buffer[], issuer: typeof oldIssuer): LoadedIdentity {
  const trustAnchors = TrustBundle.fromDer(anchors);
  return {
    trustDomain: TD,
    trustAnchors,
    tokenKey: generateKeyPair().privateKey,
    ca: new CertificateAuthority({ trustDomain: TD, issuer, trustAnchors }),
  };
}

function proxy(name: string, ca: CertificateAuthority, anchors: Buffer[]): ProxyCertificate {
  const leaf = ca.issueForKey({
    publicKey: generateKeyPair().publicKey,
    identity: `spiffe://${TD}/ns/shop/sa/${name}`,
  });
  return {
    namespace: 'shop',
    workload: `${name}-1`,
    identity: `spiffe://${TD}/ns/shop/sa/${name}`,
    leaf: leaf.certificate,
    anchorFingerprints: TrustBundle.fromDer(anchors).ders().map(certificateFingerprint),
  };
}

const both = [oldAnchor.certificate, newAnchor.certificate];
const oldCa = identity(both, oldIssuer).ca;
const newCa = identity(both, newIssuer).ca;

describe('rotationReport', () => {
  it('step 1 done: counts proxies that hold the new bundle and lists the one that does not', () => {
    const id = identity(both, oldIssuer);
    const r = rotationReport(
      id,
      [],
      [proxy('web', oldCa, both), proxy('api', oldCa, [oldAnchor.certificate])],
    );
    expect(r.step).toBe('anchor-added');
    expect(r.proxies).toMatchObject({ connected: 2, withBundle: 1, withCurrentIssuer: 2 });
    expect(r.proxies.lagging).toEqual([
      expect.objectContaining({ workload: 'api-1', holdsBundle: false, issuer: 'current' }),
    ]);
  });

  it('step 2 done: a proxy with a certificate of the replaced issuer lags', () => {
    const id = identity(both, newIssuer);
    const r = rotationReport(
      id,
      [oldIssuer.certificate],
      [proxy('web', newCa, both), proxy('api', oldCa, both)],
    );
    expect(r.step).toBe('issuer-switched');
    expect(r.proxies).toMatchObject({ connected: 2, withBundle: 2, withCurrentIssuer: 1 });
    expect(r.proxies.lagging).toEqual([
      expect.objectContaining({ workload: 'api-1', issuer: 'previous', holdsBundle: true }),
    ]);
    expect(r.proxies.lagging[0]?.serial).toMatch(/^[0-9a-f]+$/);
  });

  it('steady with one anchor; a proxy whose leaf no known issuer signed is "unknown"', () => {
    const id = identity([newAnchor.certificate], newIssuer);
    const r = rotationReport(
      id,
      [],
      [proxy('web', newCa, [newAnchor.certificate]), { ...proxy('api', oldCa, [newAnchor.certificate]) }],
    );
    expect(r.step).toBe('steady');
    expect(r.anchors).toHaveLength(1);
    expect(r.proxies).toMatchObject({ connected: 2, withBundle: 2, withCurrentIssuer: 1 });
    expect(r.proxies.lagging).toEqual([expect.objectContaining({ workload: 'api-1', issuer: 'unknown' })]);
  });
});
