// npm run bench:dashboard [-- --proxies 1000 --rounds 5]: how long the control plane's dashboard
// feed takes to turn N proxies' /metrics into one snapshot (parse, digest, difference,
// aggregate), and the snapshot's size. The scrapes themselves are excluded (in-memory texts):
// gatherProxyMetrics bounds them separately (16 at a time, 2 s timeout each).
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { DashboardFeed } from '../../../packages/control-plane/dist/index.js';
import { endpoints, exposition, streams } from './simulated-mesh.mjs';

const { values } = parseArgs({
  options: { proxies: { type: 'string', default: '1000' }, rounds: { type: 'string', default: '5' } },
});
const n = Number(values.proxies);
const eps = endpoints(n);
const sts = streams(eps);
const round = { value: 1, now: Date.now() };
// The texts of the current round, made before the timed refresh (making them is not the feed's work).
let texts = eps.map((_, i) => exposition(i, round.value));
const feed = new DashboardFeed({
  mode: 'local',
  proxies: () => eps,
  streams: () => sts,
  gather: async (ps) => ({
    proxies: ps.map((p, i) => ({
      namespace: p.namespace,
      workload: p.workload,
      service: p.service,
      at: round.now,
      metrics: texts[i],
    })),
  }),
  ownMetrics: async () => '',
  mesh: () => ({ version: 1, trustDomain: 'cluster.local', tracingEndpoint: '', services: [], rejected: [] }),
  now: () => round.now,
});
const bytes = exposition(0, 1).length;
await feed.refresh();
const times = [];
let snap;
for (let r = 0; r < Number(values.rounds); r++) {
  round.value += 1;
  round.now += 2000;
  texts = eps.map((_, i) => exposition(i, round.value));
  const t0 = performance.now();
  snap = await feed.refresh();
  times.push(performance.now() - t0);
}
feed.close();
const json = JSON.stringify(snap);
times.sort((a, b) => a - b);
console.log(
  `${n} proxies (${bytes} bytes of metrics each): aggregation per update min ${times[0].toFixed(0)} ms, median ${times[Math.floor(times.length / 2)].toFixed(0)} ms, max ${times.at(-1).toFixed(0)} ms; snapshot ${(json.length / 1024).toFixed(0)} KB (${(gzipSync(json).length / 1024).toFixed(0)} KB gzipped), ${snap.edges.length} edges, ${snap.workloads.length} nodes`,
);
