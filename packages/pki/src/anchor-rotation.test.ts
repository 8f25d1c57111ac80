import { systemClock } from '@weft/core';
import { describe, expect, it } from 'vitest';
import {
  addTrustAnchor,
  anchorRotationState,
  type RotatableIdentity,
  removeOldAnchors,
  switchIssuer,
} from './anchor-rotation.js';
import { derToPem, pemToDer } from './der.js';
import { createIdentityMaterial } from './identity-dir.js';
import { generateKeyPair, privateKeyToPem } from './keys.js';
import { TrustBundle } from './trust-bundle.js';

const DAY = 86_400_000;
/** The new anchor must be newer (notBefore) than the old one to be told apart. */
const later = { ...systemClock, now: () => Date.now() + 60_000 };

function start(): RotatableIdentity {
  const m = createIdentityMaterial({
    trustDomain: 'cluster.local',
    anchorValidityMs: 10 * DAY,
    issuerValidityMs: DAY,
  });
  return {
    anchorsPem: derToPem(m.anchor.certificate, 'CERTIFICATE'),
    issuerCertPem: derToPem(m.issuer.certificate, 'CERTIFICATE'),
    issuerKeyPem: privateKeyToPem(m.issuer.privateKey),
  };
}

const stepOf = (i: RotatableIdentity) =>
  anchorRotationState(TrustBundle.fromPem(i.anchorsPem), pemToDer(i.issuerCertPem, 'CERTIFICATE')).step;

describe('anchor rotation steps', () => {
  it('goes steady -> anchor-added -> issuer-switched -> steady, ending on the new anchor', () => {
    const first = start();
    expect(stepOf(first)).toBe('steady');
    const { identity: added, anchorKey } = addTrustAnchor(first, {
      validityMs: 10 * DAY,
      clock: later,
    });
    expect(stepOf(added)).toBe('anchor-added');
    expect(TrustBundle.fromPem(added.anchorsPem).anchors).toHaveLength(2);
    expect(added.issuerCertPem).toBe(first.issuerCertPem);
    const switched = switchIssuer(added, { anchorKey, validityMs: DAY, clock: later });
    expect(stepOf(switched)).toBe('issuer-switched');
    const done = removeOldAnchors(switched);
    expect(stepOf(done)).toBe('steady');
    const [anchor] = TrustBundle.fromPem(done.anchorsPem).anchors;
    expect(
      anchor?.info.der.equals(TrustBundle.fromPem(first.anchorsPem).anchors[0]?.info.der as Buffer),
    ).toBe(false);
  });

  it('refuses steps out of order and a key that is not the new anchor’s', () => {
    const first = start();
    expect(() => removeOldAnchors(first)).toThrow(/step 3 needs step 2/);
    expect(() => switchIssuer(first, { anchorKey: generateKeyPair().privateKey, validityMs: DAY })).toThrow(
      /step 2 needs step 1/,
    );
    const { identity: added } = addTrustAnchor(first, { validityMs: DAY, clock: later });
    expect(() => addTrustAnchor(added, { validityMs: DAY })).toThrow(/already in progress/);
    expect(() => switchIssuer(added, { anchorKey: generateKeyPair().privateKey, validityMs: DAY })).toThrow(
      /does not match the newest anchor/,
    );
  });
});
