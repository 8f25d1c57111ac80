import type { Resource } from '@weft/api';
import { describe, expect, it } from 'vitest';
import { ProxySession } from './proxy-session.js';

const identity = {
  id: 'spiffe://cluster.local/ns/shop/sa/web',
  trustDomain: 'cluster.local',
  namespace: 'shop',
  serviceAccount: 'web',
};
const res = (name: string, version: string) => ({ name, version }) as Resource;

function session() {
  return new ProxySession(
    's1',
    identity,
    { namespace: 'shop', workload: 'web-1', labels: {}, inboundPorts: [] },
    'test',
  );
}

describe('ProxySession', () => {
  it('does not resend what the proxy has', () => {
    const s = session();
    expect(s.upsert('a', 'v1', res('a', 'v1'))).toBeDefined();
    expect(s.upsert('a', 'v1', res('a', 'v1'))).toBeUndefined();
    expect(s.upsert('a', 'v2', res('a', 'v2'))).toBeDefined();
  });

  it('records ACKs per nonce and ignores unknown nonces', () => {
    const s = session();
    s.upsert('a', 'v1', res('a', 'v1'));
    const nonce = s.record([res('a', 'v1')], []);
    expect(s.ack('nope')).toEqual({ type: 'unknown-nonce' });
    expect(s.ack(nonce)).toEqual({ type: 'ok', names: ['a'] });
    expect(s.ackedVersions()).toEqual({ a: 'v1' });
  });

  it('after a NACK keeps the proxy on its acknowledged version and does not resend the rejected one', () => {
    const s = session();
    s.upsert('a', 'v1', res('a', 'v1'));
    s.ack(s.record([res('a', 'v1')], []));
    s.upsert('a', 'v2', res('a', 'v2'));
    const bad = s.record([res('a', 'v2')], []);
    expect(s.nack(bad, 'bad endpoint')).toEqual({ type: 'ok', names: ['a'] });
    expect(s.lastNack).toEqual({ nonce: bad, detail: 'bad endpoint' });
    expect(s.ackedVersions()).toEqual({ a: 'v1' });
    expect(s.rejectedVersions()).toEqual({ a: 'v2' });
    // The same rejected content is not pushed again; a return to the acked one needs nothing.
    expect(s.upsert('a', 'v2', res('a', 'v2'))).toBeUndefined();
    expect(s.upsert('a', 'v1', res('a', 'v1'))).toBeUndefined();
    // A new version goes out.
    expect(s.upsert('a', 'v3', res('a', 'v3'))).toBeDefined();
  });

  it('removes only what it sent', () => {
    const s = session();
    expect(s.remove('a')).toBeUndefined();
    s.upsert('a', 'v1', res('a', 'v1'));
    expect(s.remove('a')).toEqual({ type: 'remove' });
  });
});
