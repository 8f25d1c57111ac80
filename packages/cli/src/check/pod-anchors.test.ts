import { certificateFingerprint, createTrustAnchor, derToPem } from '@weft/pki';
import { describe, expect, it } from 'vitest';
import { podsLackingAnchor } from './pod-anchors.js';

const A = createTrustAnchor({ trustDomain: 'cluster.local', validityMs: 86_400_000 }).certificate;
const B = createTrustAnchor({ trustDomain: 'cluster.local', validityMs: 86_400_000 }).certificate;
const pod = (name: string, anchors?: string) => ({
  metadata: {
    name,
    namespace: 'shop',
    ...(anchors === undefined ? {} : { annotations: { 'weft.dev/trust-anchors': anchors } }),
  },
});

describe('podsLackingAnchor', () => {
  it('lists meshed pods whose annotation lacks the anchor, and ignores pods without one', () => {
    const pods = [
      pod('old', derToPem(A, 'CERTIFICATE')),
      pod('both', derToPem(A, 'CERTIFICATE') + derToPem(B, 'CERTIFICATE')),
      pod('new', derToPem(B, 'CERTIFICATE')),
      pod('unmeshed'),
      pod('garbled', 'not pem'),
    ];
    expect(podsLackingAnchor(pods, 'weft.dev/trust-anchors', certificateFingerprint(B))).toEqual([
      'shop/old',
      'shop/garbled',
    ]);
  });
});
