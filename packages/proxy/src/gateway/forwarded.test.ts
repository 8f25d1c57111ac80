import { describe, expect, it } from 'vitest';
import { setForwardedHeaders, stripInternalHeaders, TrustedProxies } from './forwarded.js';
import { flatHeaderBag } from './header-bag.js';

describe('forwarded headers', () => {
  const spoofed = () => [
    'x-forwarded-for',
    '6.6.6.6',
    'X-Forwarded-Proto',
    'https',
    'x-forwarded-host',
    'evil.example',
    'forwarded',
    'for=6.6.6.6',
    'x-weft-attempt',
    '9',
  ];

  it('replaces what an untrusted client sent', () => {
    const list = spoofed();
    const bag = flatHeaderBag(list);
    stripInternalHeaders(bag);
    setForwardedHeaders(bag, { peer: '203.0.113.7', proto: 'http', host: 'shop.example', trusted: false });
    expect(bag.get('x-forwarded-for')).toBe('203.0.113.7');
    expect(bag.get('x-forwarded-proto')).toBe('http');
    expect(bag.get('x-forwarded-host')).toBe('shop.example');
    expect(bag.get('forwarded')).toBe('for=203.0.113.7;host=shop.example;proto=http');
    expect(bag.get('x-weft-attempt')).toBeUndefined();
  });

  it('appends to what a trusted proxy sent', () => {
    const bag = flatHeaderBag(spoofed());
    setForwardedHeaders(bag, {
      peer: '::ffff:10.1.2.3',
      proto: 'https',
      host: 'shop.example:8443',
      trusted: true,
    });
    expect(bag.get('x-forwarded-for')).toBe('6.6.6.6, 10.1.2.3');
    expect(bag.get('x-forwarded-proto')).toBe('https');
    expect(bag.get('x-forwarded-host')).toBe('evil.example');
    expect(bag.get('forwarded')).toBe('for=6.6.6.6, for=10.1.2.3;host="shop.example:8443";proto=https');
  });

  it('quotes IPv6 nodes', () => {
    const bag = flatHeaderBag([]);
    setForwardedHeaders(bag, { peer: '2001:db8::1', proto: 'http', host: 'a', trusted: false });
    expect(bag.get('forwarded')).toBe('for="[2001:db8::1]";host=a;proto=http');
  });

  it('trusts by CIDR, IPv4-mapped addresses included, and refuses bad CIDRs', () => {
    const t = new TrustedProxies(['10.0.0.0/8', '::1']);
    expect(t.trusts('10.9.9.9')).toBe(true);
    expect(t.trusts('::ffff:10.9.9.9')).toBe(true);
    expect(t.trusts('::1')).toBe(true);
    expect(t.trusts('11.0.0.1')).toBe(false);
    expect(new TrustedProxies([]).trusts('127.0.0.1')).toBe(false);
    expect(() => new TrustedProxies(['10.0.0.0/33'])).toThrow(/not an address or CIDR/);
    expect(() => new TrustedProxies(['nope'])).toThrow(/not an address or CIDR/);
  });
});
