// The sidecar's DNS proxy (the built code) with a fixed table of mesh records, for the capture
// test: argv = listen port, resolv.conf path. Listens on 127.0.0.1 and [::1] (as with the default
// address). Prints "ready <port> uid=<uid> ipv6=<whether [::1] is listening>".

import { readFileSync } from 'node:fs';
import { startDnsProxy } from '../../../packages/proxy/dist/dns/dns-proxy.js';
import { parseResolvConf } from '../../../packages/proxy/dist/dns/resolv-conf.js';
import { MetricsRegistry } from '../../../packages/proxy/dist/telemetry/metrics-registry.js';

const [port, resolvConfPath] = process.argv.slice(2);
const table = new Map([
  ['api.test.svc.cluster.local', { type: 'addresses', addresses: ['10.96.7.7'], ttlSeconds: 5 }],
]);
const records = {
  record: (fqdn) => table.get(fqdn),
  waitRecord: async (fqdn) => table.get(fqdn) ?? { type: 'none', reason: 'no such Service' },
};
const proxy = await startDnsProxy({
  host: '127.0.0.1',
  port: Number(port),
  ipv6Loopback: true,
  resolvConf: parseResolvConf(readFileSync(resolvConfPath, 'utf8')),
  clusterDomain: 'cluster.local',
  namespace: 'test',
  records,
  registry: new MetricsRegistry(),
  upstreamTimeoutMs: 2000,
});
const ipv6 = proxy.snapshot().ipv6Loopback?.listening === true;
process.stdout.write(`ready ${proxy.port} uid=${process.getuid()} ipv6=${ipv6}\n`);
process.on('SIGTERM', () => proxy.close().then(() => process.exit(0)));
