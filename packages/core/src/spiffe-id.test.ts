import { describe, expect, it } from 'vitest';
import { formatSpiffeId, parseSpiffeId, spiffeIdToString } from './spiffe-id.js';

describe('parseSpiffeId', () => {
  it('parses a workload identity', () => {
    const r = parseSpiffeId('spiffe://cluster.local/ns/shop/sa/web');
    expect(r).toEqual({
      type: 'ok',
      id: { trustDomain: 'cluster.local', path: '/ns/shop/sa/web', namespace: 'shop', serviceAccount: 'web' },
    });
    if (r.type === 'ok') expect(spiffeIdToString(r.id)).toBe('spiffe://cluster.local/ns/shop/sa/web');
  });

  it('parses other paths without namespace fields', () => {
    expect(parseSpiffeId('spiffe://example.org/a/b')).toEqual({
      type: 'ok',
      id: { trustDomain: 'example.org', path: '/a/b' },
    });
    expect(parseSpiffeId('spiffe://example.org')).toEqual({
      type: 'ok',
      id: { trustDomain: 'example.org', path: '' },
    });
  });

  it.each([
    ['', 'empty'],
    ['https://cluster.local/ns/a/sa/b', 'wrong-scheme'],
    ['SPIFFE://cluster.local/ns/a/sa/b', 'wrong-scheme'],
    ['spiffe:///ns/a/sa/b', 'missing-trust-domain'],
    ['spiffe://Cluster.local/ns/a', 'bad-trust-domain'],
    ['spiffe://cluster.local:8443/ns/a', 'has-port-or-userinfo'],
    ['spiffe://u@cluster.local/ns/a', 'has-port-or-userinfo'],
    ['spiffe://cluster.local/ns/a?x=1', 'has-query-or-fragment'],
    ['spiffe://cluster.local/ns/a#f', 'has-query-or-fragment'],
    ['spiffe://cluster.local/ns//sa/b', 'bad-path'],
    ['spiffe://cluster.local/ns/../sa/b', 'bad-path'],
    ['spiffe://cluster.local/', 'bad-path'],
    [`spiffe://cluster.local/${'a'.repeat(2100)}`, 'too-long'],
  ])('rejects %j as %s', (uri, reason) => {
    expect(parseSpiffeId(uri)).toEqual({ type: 'error', reason });
  });
});

describe('formatSpiffeId', () => {
  it('formats and validates', () => {
    expect(
      formatSpiffeId({ trustDomain: 'cluster.local', namespace: 'ns1', serviceAccount: 'default' }),
    ).toBe('spiffe://cluster.local/ns/ns1/sa/default');
    expect(() =>
      formatSpiffeId({ trustDomain: 'cluster.local', namespace: 'a/b', serviceAccount: 'c' }),
    ).toThrow(RangeError);
  });
});
