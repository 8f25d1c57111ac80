/** The proxy's bound on mesh DNS names held (each one a subscription on the discovery stream). */
import { describe, expect, it } from 'vitest';
import { DNS_PREFIX, DnsRecords } from './dns-records.js';

describe('DnsRecords', () => {
  it('asks for at most maxNames names, refuses new ones at once, and takes them again once the sweep frees room', async () => {
    const records = new DnsRecords(3);
    const asked: string[] = [];
    let refused = 0;
    records.onRefused = () => {
      refused++;
    };
    const ask = (name: string) => asked.push(name);
    for (const n of ['a', 'b', 'c']) expect(records.get(`${n}.ns.svc.cluster.local`, ask)).toBeUndefined();
    expect(asked).toEqual(['a', 'b', 'c'].map((n) => `${DNS_PREFIX}${n}.ns.svc.cluster.local`));

    // A fourth name: not asked, counted once per lookup, and a waiter gets no answer at once.
    expect(records.get('d.ns.svc.cluster.local', ask)).toBeUndefined();
    expect(await records.wait('d.ns.svc.cluster.local', 60_000, ask)).toEqual({ type: 'timeout' });
    expect(asked).toHaveLength(3);
    expect(refused).toBe(1);
    expect(records.size).toBe(3);

    // Names already held keep working.
    records.set('a.ns.svc.cluster.local', { type: 'addresses', addresses: ['10.0.0.1'], ttlSeconds: 5 });
    expect(records.get('a.ns.svc.cluster.local', ask)).toMatchObject({ addresses: ['10.0.0.1'] });

    // b and c go unused for two sweeps and are dropped; d fits again.
    for (let i = 0; i < 3; i++) {
      records.get('a.ns.svc.cluster.local', ask);
      records.sweep();
    }
    expect(records.size).toBe(1);
    expect(records.get('d.ns.svc.cluster.local', ask)).toBeUndefined();
    expect(asked.at(-1)).toBe(`${DNS_PREFIX}d.ns.svc.cluster.local`);
    expect(refused).toBe(1);
  });
});
