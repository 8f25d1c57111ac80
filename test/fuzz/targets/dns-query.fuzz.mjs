// Fuzz target: the sidecar DNS proxy's message handler (what an app, or anything that can reach
// 127.0.0.1:15053, sends). Byte 0 bit 0 picks the transport (UDP, TCP); bit 1 makes the upstream
// resolver fail; the rest is the DNS message. The stand-in upstream answers with the same bytes
// with QR set, so the upstream-answer parser and the cache see fuzzed input too.
//
// Invariants: `handle` never rejects; a reply is a DNS response that decodes, carries the query's
// ID and fits the transport (UDP: 512 bytes, or the query's EDNS size up to 4096); a dropped
// packet is counted; the cache stays within its bound.
import * as packet from 'dns-packet';
import { ManualClock } from '../../../packages/core/dist/index.js';
import { AnswerCache } from '../../../packages/proxy/dist/dns/answer-cache.js';
import { DnsHandler } from '../../../packages/proxy/dist/dns/dns-handler.js';
import { DnsMetrics } from '../../../packages/proxy/dist/dns/dns-metrics.js';
import { LookedUpNames } from '../../../packages/proxy/dist/dns/looked-up-names.js';
import { MetricsRegistry } from '../../../packages/proxy/dist/telemetry/metrics-registry.js';
import { check } from './invariant.mjs';

export const meta = {
  description: 'DNS query bytes -> DNS proxy handler -> dropped or a well-formed reply',
  includes: ['packages/proxy/dist/dns/', 'node_modules/dns-packet/'],
};

const MAX_CACHE = 64;
const clock = new ManualClock();
const metrics = new DnsMetrics(new MetricsRegistry());
const cache = new AnswerCache(clock, { maxEntries: MAX_CACHE, maxTtlSeconds: 60, maxNegativeTtlSeconds: 30 });
const table = new Map([
  ['api.demo.svc.cluster.local', { type: 'addresses', addresses: ['10.96.0.10', 'fd00::10'], ttlSeconds: 5 }],
  [
    'db.demo.svc.cluster.local',
    { type: 'addresses', addresses: Array.from({ length: 60 }, (_, i) => `10.1.0.${i}`), ttlSeconds: 5 },
  ],
]);
let failUpstream = false;
const handler = new DnsHandler({
  naming: {
    clusterDomain: 'cluster.local',
    search: ['demo.svc.cluster.local', 'svc.cluster.local', 'cluster.local'],
    ndots: 5,
  },
  records: {
    record: (fqdn) => table.get(fqdn),
    waitRecord: async (fqdn) => table.get(fqdn) ?? { type: 'none', reason: 'no such Service' },
  },
  upstream: {
    async forward(query) {
      if (failUpstream) return { type: 'failed', reason: 'fuzz: upstream down' };
      const answer = Buffer.from(query);
      answer[2] |= 0x80;
      return { type: 'answer', packet: answer };
    },
    close() {},
  },
  cache,
  clock,
  metrics,
  lookups: new LookedUpNames(32),
  meshWaitMs: 10,
  negativeTtlSeconds: 5,
  maxInFlight: 16,
});

function droppedCount() {
  return metrics.count('unknown', 'dropped');
}

export async function fuzz(data) {
  if (data.length < 1) return;
  const transport = (data[0] & 1) === 0 ? 'udp' : 'tcp';
  failUpstream = (data[0] & 2) !== 0;
  const message = data.subarray(1);
  clock.advance(1000);
  const dropped = droppedCount();
  const result = await handler.handle(message, transport);
  check(cache.size <= MAX_CACHE, () => `cache holds ${cache.size} entries`);
  if (result.type === 'drop') {
    check(droppedCount() === dropped + 1, 'a dropped packet was not counted');
    return;
  }
  check(result.type === 'reply', () => `unknown result ${result.type}`);
  const reply = result.packet;
  check(reply.length >= 12, 'reply shorter than a DNS header');
  check(reply.readUInt16BE(0) === message.readUInt16BE(0), 'reply ID differs from the query ID');
  check((reply[2] & 0x80) !== 0, 'reply is not a response (QR clear)');
  if (transport === 'udp') check(reply.length <= 4096, () => `UDP reply of ${reply.length} bytes`);
  let decoded;
  try {
    decoded = packet.decode(reply);
  } catch (err) {
    check(false, () => `reply does not decode: ${err.message}`);
  }
  check(decoded.type === 'response', 'decoded reply is not a response');
}
