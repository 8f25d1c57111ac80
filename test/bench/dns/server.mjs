// One DNS server for the benchmark, in its own process (pinned by the caller): `echo` (a plain
// dgram socket sending every datagram back: the floor), `proxy` (the sidecar's DNS proxy, the built
// code, with a mesh record and a test upstream resolver in this process), or `upstream` (the test
// resolver alone). Prints "ready <port>".
import { createSocket } from 'node:dgram';
import { startDnsProxy } from '../../../packages/proxy/dist/dns/dns-proxy.js';
import { startTestResolver } from '../../../packages/proxy/dist/dns/test-resolver.js';
import { MetricsRegistry } from '../../../packages/proxy/dist/telemetry/metrics-registry.js';

const [kind, upstreamPort] = process.argv.slice(2);

if (kind === 'echo') {
  const s = createSocket('udp4');
  s.on('message', (msg, rinfo) => s.send(msg, rinfo.port, rinfo.address));
  s.bind(0, '127.0.0.1', () => process.stdout.write(`ready ${s.address().port}\n`));
} else if (kind === 'upstream') {
  const r = await startTestResolver(
    new Map([
      [
        'example.com',
        { type: 'records', answers: [{ name: 'example.com', type: 'A', ttl: 3600, data: '93.184.216.34' }] },
      ],
    ]),
  );
  process.stdout.write(`ready ${r.port}\n`);
} else if (kind === 'proxy') {
  const table = new Map([
    ['api.demo.svc.cluster.local', { type: 'addresses', addresses: ['10.96.0.10'], ttlSeconds: 5 }],
  ]);
  const proxy = await startDnsProxy({
    host: '127.0.0.1',
    port: 0,
    resolvConf: { nameservers: [], search: [], ndots: 1 },
    upstreams: [{ host: '127.0.0.1', port: Number(upstreamPort) }],
    clusterDomain: 'cluster.local',
    namespace: 'demo',
    records: {
      record: (f) => table.get(f),
      waitRecord: async (f) => table.get(f) ?? { type: 'none', reason: 'none' },
    },
    registry: new MetricsRegistry(),
  });
  process.stdout.write(`ready ${proxy.port}\n`);
} else {
  throw new Error(`unknown server kind ${kind}`);
}
