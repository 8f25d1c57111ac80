// The DNS handler's own cost, no sockets: how many answers per second one core computes for a mesh
// name and for a cached forwarded name (decode, look up, encode). Prints one JSON line.
import * as packet from 'dns-packet';
import { systemClock } from '../../../packages/core/dist/index.js';
import { AnswerCache } from '../../../packages/proxy/dist/dns/answer-cache.js';
import { DnsHandler } from '../../../packages/proxy/dist/dns/dns-handler.js';
import { DnsMetrics } from '../../../packages/proxy/dist/dns/dns-metrics.js';
import { LookedUpNames } from '../../../packages/proxy/dist/dns/looked-up-names.js';
import { MetricsRegistry } from '../../../packages/proxy/dist/telemetry/metrics-registry.js';

const seconds = Number(process.argv[2] ?? 2);
const table = new Map([
  ['api.demo.svc.cluster.local', { type: 'addresses', addresses: ['10.96.0.10'], ttlSeconds: 5 }],
]);
const upstreamAnswer = (query) => {
  const q = packet.decode(query);
  return packet.encode({
    type: 'response',
    id: q.id,
    flags: packet.RECURSION_AVAILABLE,
    questions: q.questions,
    answers: [{ name: 'example.com', type: 'A', ttl: 3600, data: '93.184.216.34' }],
  });
};
const handler = new DnsHandler({
  naming: {
    clusterDomain: 'cluster.local',
    search: ['demo.svc.cluster.local', 'svc.cluster.local', 'cluster.local'],
    ndots: 1,
  },
  records: {
    record: (f) => table.get(f),
    waitRecord: async (f) => table.get(f) ?? { type: 'none', reason: 'none' },
  },
  upstream: { forward: async (q) => ({ type: 'answer', packet: upstreamAnswer(q) }), close() {} },
  cache: new AnswerCache(systemClock),
  clock: systemClock,
  metrics: new DnsMetrics(new MetricsRegistry()),
  lookups: new LookedUpNames(),
  meshWaitMs: 1000,
  negativeTtlSeconds: 5,
  maxInFlight: 1024,
});

async function measure(name) {
  const query = packet.encode({
    type: 'query',
    id: 1,
    flags: packet.RECURSION_DESIRED,
    questions: [{ name, type: 'A' }],
  });
  for (let i = 0; i < 2000; i++) await handler.handle(query, 'udp'); // warm up (and fill the cache)
  let n = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    for (let i = 0; i < 200; i++) await handler.handle(query, 'udp');
    n += 200;
  }
  return n / ((performance.now() - start) / 1000);
}

process.stdout.write(
  `${JSON.stringify({ mesh: await measure('api.demo.svc.cluster.local'), forwardedCached: await measure('example.com') })}\n`,
);
