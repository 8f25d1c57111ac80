// The "app": resolves names through the nameserver its resolv.conf would name (argv[2]), over UDP
// with node's resolver and over TCP by hand, and prints what it got as one JSON line.
import { Resolver } from 'node:dns/promises';
import { askDns } from '../../../packages/proxy/dist/dns/test-resolver.js';

const [nameserver, timeoutText = '3000'] = process.argv.slice(2);
const timeout = Number(timeoutText);
const resolver = new Resolver({ timeout, tries: 1 });
resolver.setServers([nameserver]);
const udp = async (name) => {
  try {
    return await resolver.resolve4(name);
  } catch (err) {
    return { error: err.code };
  }
};
const tcp = async (name) => {
  try {
    const query = { type: 'query', id: 9, flags: 256, questions: [{ name, type: 'A' }] };
    const r = await askDns(53, query, 'tcp', nameserver, timeout);
    return r.answers.map((a) => a.data);
  } catch (err) {
    return { error: err.code ?? 'ETIMEOUT' };
  }
};
const out = {
  meshUdp: await udp('api.test.svc.cluster.local'),
  publicUdp: await udp('example.com'),
  missingUdp: await udp('nope.test.svc.cluster.local'),
  meshTcp: await tcp('api.test.svc.cluster.local'),
  publicTcp: await tcp('example.com'),
};
process.stdout.write(`${JSON.stringify(out)}\n`);
