// The proxy's own metrics registry against prom-client on the proxy's hot path: one counter
// increment and one histogram observation per request, through a labelled child resolved once
// (what the proxy does) and through labels given on each call. Prints ns per operation and the
// ratio prom-client / weft. Not a test: run it with `npm run bench:metrics` (build first).
//   node test/bench/metrics/bench-registry.mjs [iterations]
import { performance } from 'node:perf_hooks';
import client from 'prom-client';
import { Counter, Histogram } from '../../../packages/proxy/dist/telemetry/metrics-registry.js';

const N = Number(process.argv[2] ?? 2_000_000);
const ROUNDS = 5;
const BUCKETS = [0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];
const LABELS = { direction: 'inbound', class: '2xx' };
// Latencies spread over the buckets, drawn once so both sides observe the same values.
const values = Float64Array.from({ length: 4096 }, (_, i) => ((i * 7919) % 20000) / 10);

function time(fn) {
  fn(Math.min(N, 100_000)); // warm up: let both be optimised before measuring
  let best = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    const start = performance.now();
    fn(N);
    best = Math.min(best, ((performance.now() - start) * 1e6) / N);
  }
  return best;
}

const registry = new client.Registry();
const promCounter = new client.Counter({
  name: 'c',
  help: 'h',
  labelNames: ['direction', 'class'],
  registers: [registry],
});
const promHistogram = new client.Histogram({
  name: 'h',
  help: 'h',
  labelNames: ['direction'],
  buckets: BUCKETS,
  registers: [registry],
});
const weftCounter = new Counter('c', 'h');
const weftHistogram = new Histogram('h', 'h', BUCKETS);

const promChild = promCounter.labels(LABELS);
const weftChild = weftCounter.labels(LABELS);
const promHistChild = promHistogram.labels({ direction: 'inbound' });

const cases = [
  [
    'counter inc, child resolved once',
    (n) => {
      for (let i = 0; i < n; i++) weftChild.inc();
    },
    (n) => {
      for (let i = 0; i < n; i++) promChild.inc();
    },
  ],
  [
    'counter inc, labels on each call',
    (n) => {
      for (let i = 0; i < n; i++) weftCounter.inc(LABELS);
    },
    (n) => {
      for (let i = 0; i < n; i++) promCounter.inc(LABELS);
    },
  ],
  [
    'histogram observe (child resolved once)',
    (n) => {
      for (let i = 0; i < n; i++) weftHistogram.observe(values[i & 4095]);
    },
    (n) => {
      for (let i = 0; i < n; i++) promHistChild.observe(values[i & 4095]);
    },
  ],
];

console.log(`node ${process.version}, ${N} operations x ${ROUNDS} rounds (best round)`);
console.log(
  'case'.padEnd(42),
  'weft ns/op'.padStart(11),
  'prom-client ns/op'.padStart(18),
  'ratio'.padStart(7),
);
for (const [name, weft, prom] of cases) {
  const w = time(weft);
  const p = time(prom);
  console.log(
    name.padEnd(42),
    w.toFixed(1).padStart(11),
    p.toFixed(1).padStart(18),
    `${(p / w).toFixed(1)}x`.padStart(7),
  );
}
