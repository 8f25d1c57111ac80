import { describe, expect, it } from 'vitest';
import {
  ALL_PEERS,
  accountPeer,
  EMPTY_PEERS,
  hasPeer,
  intersectPeers,
  isEmptyPeers,
  namespacePeers,
  type PeerSet,
  samePeers,
  subtractPeers,
  unionPeers,
} from './peer-set.js';

const NS = ['a', 'b', 'c'];
const SA = ['x', 'y', 'z'];

/** Membership over a small universe, to compare the algebra with plain set operations. */
function members(s: PeerSet): string[] {
  return NS.flatMap((ns) => SA.filter((sa) => hasPeer(s, ns, sa)).map((sa) => `${ns}/${sa}`));
}

const SAMPLES: PeerSet[] = [
  EMPTY_PEERS,
  ALL_PEERS,
  namespacePeers('a'),
  accountPeer('a', 'x'),
  accountPeer('b', 'y'),
  subtractPeers(ALL_PEERS, accountPeer('a', 'x')),
  subtractPeers(namespacePeers('b'), accountPeer('b', 'z')),
  unionPeers(namespacePeers('c'), accountPeer('a', 'y')),
];

describe('PeerSet', () => {
  it('union, intersection and difference agree with set operations on every pair', () => {
    for (const p of SAMPLES) {
      for (const q of SAMPLES) {
        const mp = new Set(members(p));
        const mq = new Set(members(q));
        expect(members(unionPeers(p, q))).toEqual(members(ALL_PEERS).filter((m) => mp.has(m) || mq.has(m)));
        expect(members(intersectPeers(p, q))).toEqual(
          members(ALL_PEERS).filter((m) => mp.has(m) && mq.has(m)),
        );
        expect(members(subtractPeers(p, q))).toEqual(
          members(ALL_PEERS).filter((m) => mp.has(m) && !mq.has(m)),
        );
      }
    }
  });

  it('normalizes, so equal sets compare equal and empty is empty', () => {
    const s = subtractPeers(unionPeers(namespacePeers('a'), accountPeer('b', 'x')), namespacePeers('a'));
    expect(samePeers(s, accountPeer('b', 'x'))).toBe(true);
    expect(s.byNamespace.size).toBe(1);
    expect(isEmptyPeers(subtractPeers(ALL_PEERS, ALL_PEERS))).toBe(true);
    expect(unionPeers(subtractPeers(ALL_PEERS, accountPeer('a', 'x')), accountPeer('a', 'x'))).toEqual(
      ALL_PEERS,
    );
  });

  it('keeps identities of namespaces it has never seen in "every other namespace"', () => {
    const s = subtractPeers(ALL_PEERS, namespacePeers('a'));
    expect(hasPeer(s, 'brand-new', 'any')).toBe(true);
    expect(hasPeer(s, 'a', 'x')).toBe(false);
  });
});
