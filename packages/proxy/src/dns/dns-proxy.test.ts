import { createSocket } from 'node:dgram';
import { ManualClock } from '@weft/core';
import * as packet from 'dns-packet';
import { afterEach, describe, expect, it } from 'vitest';
import { MetricsRegistry } from '../telemetry/metrics-registry.js';
import { type DnsProxy, startDnsProxy } from './dns-proxy.js';
import type { MeshRecord, MeshRecordSource, MeshRecordWait } from './mesh-records.js';
import { parseResolvConf } from './resolv-conf.js';
import { askDns, askRaw, startTestResolver, type TestResolver, type TestZoneEntry } from './test-resolver.js';

/** Mesh records held in a table; names not in it are answered `none` when waited for. */
class TableRecords implements MeshRecordSource {
  readonly asked: string[] = [];
  constructor(
    private readonly table: Map<string, MeshRecord>,
    private readonly silent = false,
  ) {}
  record(fqdn: string): MeshRecord | undefined {
    return this.table.get(fqdn);
  }
  waitRecord(fqdn: string): Promise<MeshRecordWait> {
    this.asked.push(fqdn);
    if (this.silent) return Promise.resolve({ type: 'timeout' });
    return Promise.resolve(this.table.get(fqdn) ?? { type: 'none', reason: 'no such service' });
  }
}

const headless = Array.from({ length: 40 }, (_, i) => `10.1.0.${i + 1}`);
const MESH = new Map<string, MeshRecord>([
  ['api.demo.svc.cluster.local', { type: 'addresses', addresses: ['10.96.0.10', 'fd00::10'], ttlSeconds: 5 }],
  ['db.demo.svc.cluster.local', { type: 'addresses', addresses: headless, ttlSeconds: 5 }],
  ['web.shop.svc.cluster.local', { type: 'addresses', addresses: ['10.96.0.20'], ttlSeconds: 5 }],
]);

const ZONE = new Map<string, TestZoneEntry>([
  [
    'example.com',
    { type: 'records', answers: [{ name: 'example.com', type: 'A', ttl: 60, data: '93.184.216.34' }] },
  ],
  ['gone.example', { type: 'nxdomain', soaMinimum: 30 }],
  [
    'big.example',
    {
      type: 'records',
      answers: Array.from({ length: 50 }, (_, i) => ({
        name: 'big.example',
        type: 'A' as const,
        ttl: 60,
        data: `192.0.2.${i + 1}`,
      })),
    },
  ],
]);

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(opts: { silent?: boolean; upstreamDown?: boolean; clock?: ManualClock } = {}) {
  const resolver: TestResolver = await startTestResolver(ZONE);
  cleanups.push(() => resolver.close());
  let upstreamPort = resolver.port;
  if (opts.upstreamDown) {
    // A port nobody listens on: bind, read it, close.
    const s = createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    upstreamPort = s.address().port;
    await new Promise<void>((r) => s.close(() => r()));
  }
  const records = new TableRecords(MESH, opts.silent);
  const registry = new MetricsRegistry();
  const proxy: DnsProxy = await startDnsProxy({
    host: '127.0.0.1',
    port: 0,
    resolvConf: parseResolvConf(
      'nameserver 127.0.0.1\nsearch demo.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n',
    ),
    upstreams: [{ host: '127.0.0.1', port: upstreamPort }],
    clusterDomain: 'cluster.local',
    namespace: 'demo',
    records,
    registry,
    upstreamTimeoutMs: 300,
    meshWaitMs: 300,
    ...(opts.clock === undefined ? {} : { clock: opts.clock }),
  });
  cleanups.push(() => proxy.close());
  return { proxy, resolver, records, registry };
}

function q(name: string, type: packet.RecordType = 'A', id = 4242): packet.Packet {
  return { type: 'query', id, flags: packet.RECURSION_DESIRED, questions: [{ name, type, class: 'IN' }] };
}

function rcode(p: packet.DecodedPacket): string {
  return (p as unknown as { rcode: string }).rcode;
}

describe('DNS proxy: mesh names', () => {
  it('answers A and AAAA for a Service FQDN over UDP and TCP, authoritatively', async () => {
    const { proxy } = await setup();
    for (const transport of ['udp', 'tcp'] as const) {
      const a = await askDns(proxy.port, q('api.demo.svc.cluster.local', 'A'), transport);
      expect(a.id).toBe(4242);
      expect(rcode(a)).toBe('NOERROR');
      expect(a.flag_aa).toBe(true);
      expect(a.answers?.map((x) => x.data)).toEqual(['10.96.0.10']);
      const aaaa = await askDns(proxy.port, q('api.demo.svc.cluster.local', 'AAAA'), transport);
      expect(aaaa.answers?.map((x) => x.data)).toEqual(['fd00::10']);
    }
    expect(proxy.metrics.count('A', 'mesh')).toBe(2);
    expect(proxy.metrics.count('AAAA', 'mesh')).toBe(2);
  });

  it('expands short names through the search path (name, name.ns, name.ns.svc)', async () => {
    const { proxy } = await setup();
    for (const name of ['api', 'api.demo', 'api.demo.svc', 'web.shop', 'API.Demo.']) {
      const r = await askDns(proxy.port, q(name), 'udp');
      expect(rcode(r), name).toBe('NOERROR');
      expect(r.answers?.length, name).toBe(1);
      // The answer carries the name as asked, so the client's stub resolver accepts it.
      expect(r.answers?.[0]?.name.toLowerCase(), name).toBe(name.toLowerCase().replace(/\.$/, ''));
    }
    expect(proxy.snapshot().lookups.map((l) => l.name)).toContain('web.shop');
  });

  it('gives a headless Service its endpoints, and truncates over UDP so the client retries over TCP', async () => {
    const { proxy } = await setup();
    const udp = await askDns(proxy.port, q('db.demo.svc.cluster.local'), 'udp');
    expect(udp.flag_tc).toBe(true);
    expect(udp.answers ?? []).toEqual([]);
    const tcp = await askDns(proxy.port, q('db.demo.svc.cluster.local'), 'tcp');
    expect(tcp.flag_tc).toBe(false);
    expect(tcp.answers?.map((x) => x.data)).toEqual(headless);
    // With EDNS the client accepts more than 512 bytes over UDP.
    const edns = await askDns(
      proxy.port,
      {
        ...q('db.demo.svc.cluster.local'),
        additionals: [
          {
            name: '.',
            type: 'OPT',
            udpPayloadSize: 4096,
            extendedRcode: 0,
            ednsVersion: 0,
            flags: 0,
            flag_do: false,
            options: [],
          },
        ],
      },
      'udp',
    );
    expect(edns.flag_tc).toBe(false);
    expect(edns.answers?.length).toBe(40);
  });

  it('answers NXDOMAIN with a SOA for an unknown Service under the cluster domain, no data for other types', async () => {
    const { proxy, resolver } = await setup();
    const r = await askDns(proxy.port, q('nope.demo.svc.cluster.local'), 'udp');
    expect(rcode(r)).toBe('NXDOMAIN');
    expect(r.authorities?.[0]?.type).toBe('SOA');
    const txt = await askDns(proxy.port, q('api.demo.svc.cluster.local', 'TXT'), 'udp');
    expect(rcode(txt)).toBe('NOERROR');
    expect(txt.answers ?? []).toEqual([]);
    expect(txt.authorities?.[0]?.type).toBe('SOA');
    expect(resolver.received.size).toBe(0);
    expect(proxy.metrics.count('A', 'nxdomain')).toBe(1);
  });

  it('answers SERVFAIL for a Service name when the control plane does not answer in time', async () => {
    const { proxy } = await setup({ silent: true });
    const r = await askDns(proxy.port, q('unknown.demo.svc.cluster.local'), 'udp');
    expect(rcode(r)).toBe('SERVFAIL');
    expect(proxy.metrics.count('A', 'servfail')).toBe(1);
  });
});

describe('DNS proxy: forwarding', () => {
  it('forwards other names, caches them for their TTL (counted down), and asks again after it', async () => {
    const clock = new ManualClock();
    const { proxy, resolver } = await setup({ clock });
    const first = await askDns(proxy.port, q('example.com', 'A', 1), 'udp');
    expect(first.id).toBe(1);
    expect(first.answers?.[0]).toMatchObject({ data: '93.184.216.34', ttl: 60 });
    clock.advance(20_000);
    const second = await askDns(proxy.port, q('example.com', 'A', 2), 'udp');
    expect(second.id).toBe(2);
    expect(second.answers?.[0]).toMatchObject({ data: '93.184.216.34', ttl: 40 });
    expect(resolver.received.get('example.com|A')).toBe(1);
    clock.advance(40_000);
    await askDns(proxy.port, q('example.com', 'A', 3), 'tcp');
    expect(resolver.received.get('example.com|A')).toBe(2);
    expect(proxy.metrics.count('A', 'forwarded')).toBe(3);
  });

  it('caches NXDOMAIN for the SOA minimum (negative caching)', async () => {
    const clock = new ManualClock();
    const { proxy, resolver } = await setup({ clock });
    expect(rcode(await askDns(proxy.port, q('gone.example'), 'udp'))).toBe('NXDOMAIN');
    clock.advance(29_000);
    expect(rcode(await askDns(proxy.port, q('gone.example'), 'udp'))).toBe('NXDOMAIN');
    expect(resolver.received.get('gone.example|A')).toBe(1);
    clock.advance(1_000);
    expect(rcode(await askDns(proxy.port, q('gone.example'), 'udp'))).toBe('NXDOMAIN');
    expect(resolver.received.get('gone.example|A')).toBe(2);
  });

  it('passes the upstream truncation on over UDP and answers in full over TCP', async () => {
    const { proxy } = await setup();
    const udp = await askDns(proxy.port, q('big.example'), 'udp');
    expect(udp.flag_tc).toBe(true);
    const tcp = await askDns(proxy.port, q('big.example'), 'tcp');
    expect(tcp.flag_tc).toBe(false);
    expect(tcp.answers?.length).toBe(50);
  });

  it('does not try the search path for names with enough dots, and forwards names the mesh does not know', async () => {
    const { proxy, records } = await setup();
    const r = await askDns(proxy.port, q('example.com'), 'udp');
    expect(r.answers?.[0]?.data).toBe('93.184.216.34');
    // ndots:5: "example.com" is also a candidate "example.com.svc.cluster.local" (Service example, namespace com).
    expect(records.asked).toEqual(['example.com.svc.cluster.local']);
  });

  it('answers SERVFAIL within the upstream deadline when the upstream resolvers are down', async () => {
    const { proxy } = await setup({ upstreamDown: true });
    for (const transport of ['udp', 'tcp'] as const) {
      const r = await askDns(proxy.port, q('example.org'), transport, '127.0.0.1', 5000);
      expect(rcode(r)).toBe('SERVFAIL');
    }
    expect(proxy.metrics.count('A', 'servfail')).toBe(2);
  });
});

describe('DNS proxy: bad input', () => {
  it('drops and counts malformed packets and keeps answering', async () => {
    const { proxy, registry } = await setup();
    const good = packet.encode(q('api.demo.svc.cluster.local'));
    const corpus: Buffer[] = [
      Buffer.alloc(0),
      Buffer.from([1, 2, 3]),
      good.subarray(0, 15),
      // A question count of 1 with no question.
      Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]),
      // A compression pointer to itself.
      Buffer.concat([good.subarray(0, 12), Buffer.from([0xc0, 12, 0, 1, 0, 1])]),
      // A label longer than the packet.
      Buffer.concat([good.subarray(0, 12), Buffer.from([63, 97, 98])]),
      // A response, not a query.
      packet.encode({ type: 'response', id: 9, questions: [{ name: 'x', type: 'A' }] }),
    ];
    const sock = createSocket('udp4');
    cleanups.push(() => new Promise((r) => sock.close(() => r())));
    for (const bad of corpus) sock.send(bad, proxy.port, '127.0.0.1');
    // Over TCP too: a 3-byte message.
    await expect(
      askRaw(proxy.port, Buffer.from([0xff, 0xff, 0xff]), 'tcp', '127.0.0.1', 300),
    ).rejects.toThrow();
    const deadline = Date.now() + 5000;
    while (proxy.metrics.count('unknown', 'dropped') < corpus.length + 1 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const text = registry.render();
    expect(text).toContain('weft_proxy_dns_dropped_total{reason="malformed"} 7');
    expect(text).toContain('weft_proxy_dns_dropped_total{reason="not-a-query"} 1');
    expect(proxy.metrics.count('unknown', 'dropped')).toBe(corpus.length + 1);
    const r = await askDns(proxy.port, q('api.demo.svc.cluster.local'), 'udp');
    expect(r.answers?.[0]?.data).toBe('10.96.0.10');
  });

  it('answers FORMERR for a query with two questions and NOTIMP for another opcode', async () => {
    const { proxy } = await setup();
    const two = await askDns(
      proxy.port,
      {
        type: 'query',
        id: 7,
        questions: [
          { name: 'a', type: 'A' },
          { name: 'b', type: 'A' },
        ],
      },
      'udp',
    );
    expect(rcode(two)).toBe('FORMERR');
    const bytes = packet.encode(q('api'));
    bytes.writeUInt16BE(bytes.readUInt16BE(2) | (2 << 11), 2); // opcode STATUS
    const status = packet.decode(await askRaw(proxy.port, bytes, 'udp'));
    expect(rcode(status)).toBe('NOTIMP');
  });
});
