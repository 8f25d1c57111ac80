import { describe, expect, it } from 'vitest';
import { fingerprintOf, renewalKey } from './trust-follow.js';

const A = Buffer.from('anchor-a');
const B = Buffer.from('anchor-b');
const LEAF = Buffer.from('leaf');
const ISSUER = Buffer.from('issuer-1');
const held = { chain: [LEAF, ISSUER], anchors: [A] };

describe('renewalKey', () => {
  it('is undefined when the held bundle and issuer match the announcement', () => {
    expect(
      renewalKey(
        { trustAnchorFingerprints: [fingerprintOf(A)], issuerFingerprint: fingerprintOf(ISSUER) },
        held,
      ),
    ).toBeUndefined();
  });

  it('asks for a renewal when an anchor was added, and the same key for the same announcement', () => {
    const announced = {
      trustAnchorFingerprints: [fingerprintOf(B), fingerprintOf(A)],
      issuerFingerprint: fingerprintOf(ISSUER),
    };
    const key = renewalKey(announced, held);
    expect(key).toBeDefined();
    expect(
      renewalKey({ ...announced, trustAnchorFingerprints: [fingerprintOf(A), fingerprintOf(B)] }, held),
    ).toBe(key);
  });

  it('asks for a renewal when the issuer changed', () => {
    expect(
      renewalKey({ trustAnchorFingerprints: [fingerprintOf(A)], issuerFingerprint: fingerprintOf(B) }, held),
    ).toBeDefined();
  });

  it('ignores a control plane that announces nothing, and a proxy without a certificate', () => {
    expect(renewalKey({ trustAnchorFingerprints: [], issuerFingerprint: '' }, held)).toBeUndefined();
    expect(
      renewalKey({ trustAnchorFingerprints: [fingerprintOf(B)], issuerFingerprint: '' }, undefined),
    ).toBeUndefined();
  });
});
