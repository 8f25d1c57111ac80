#!/usr/bin/env node
// Request latency through two sidecars (client -> weft A -> mTLS -> weft B -> origin) with
// tracing off, at 1% and 100% sampling to a live OTLP/HTTP endpoint, and at 100% with the
// collector down (nothing listening). Each case runs the same sequential keep-alive requests;
// cases are interleaved over rounds and each keeps its fastest round (the machine is shared).
// Usage: npm run bench:tracing-mesh [-- --requests 2000 --rounds 3]
// Prints a table and, as its last line, a JSON object with p50/p99 per case and ratios.
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, createServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import {
  createIdentityMaterial,
  derToPem,
  generateKeyPair,
  loadIdentityDir,
  privateKeyToPem,
  writeIdentityDir,
} from '@weft/pki';
import { DiscoveryState, defaultProxyOptions, Sidecar, StaticCertificateSource } from '@weft/proxy';
import { TracingController } from '@weft/runtime';

const { values } = parseArgs({
  options: { requests: { type: 'string', default: '2000' }, rounds: { type: 'string', default: '3' } },
});
const N = Number(values.requests);
const ROUNDS = Number(values.rounds);
const AUTHORITY = 'b.bench.svc.cluster.local:80';
const A_ID = 'spiffe://cluster.local/ns/bench/sa/a';
const B_ID = 'spiffe://cluster.local/ns/bench/sa/b';

async function listen(server) {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server.address().port;
}

const dir = mkdtempSync(join(tmpdir(), 'weft-bench-tracing-'));
await writeIdentityDir(
  join(dir, 'id'),
  createIdentityMaterial({
    trustDomain: 'cluster.local',
    anchorValidityMs: 86_400_000,
    issuerValidityMs: 86_400_000,
  }),
);
const { ca } = await loadIdentityDir(join(dir, 'id'));
function material(identity) {
  const { privateKey, publicKey } = generateKeyPair();
  const issued = ca.issueForKey({ publicKey, identity });
  return {
    key: privateKeyToPem(privateKey),
    certChain: issued.chain.map((c) => derToPem(c, 'CERTIFICATE')).join(''),
    trustBundle: ca.trustAnchors.toPem(),
  };
}

// The origin, and a collector that accepts every export.
const origin = createServer((_req, res) => res.end('ok'));
const originPort = await listen(origin);
const collector = createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end());
});
const collectorPort = await listen(collector);
const downServer = createServer();
const downPort = await listen(downServer);
await new Promise((r) => downServer.close(r));

const common = {
  listenHost: '127.0.0.1',
  adminHost: '127.0.0.1',
  inboundPort: 0,
  outboundPort: 0,
  adminPort: 0,
};
const tracings = [];
function tracing(endpoint, sampling) {
  if (endpoint === undefined) return undefined;
  const t = new TracingController({
    env: {},
    explicit: { endpoint, sampling },
    resource: { serviceName: 'bench' },
    closeTimeoutMillis: 200,
  });
  tracings.push(t);
  return t;
}

/** Two sidecars whose proxies trace with `endpoint` at `sampling` (undefined: off). */
async function mesh(endpoint, sampling) {
  const bState = new DiscoveryState();
  const aState = new DiscoveryState();
  const b = new Sidecar(
    defaultProxyOptions({
      namespace: 'bench',
      service: 'b',
      ...common,
      inbound: [{ servicePort: 80, appHost: '127.0.0.1', appPort: originPort }],
    }),
    {
      certificates: new StaticCertificateSource(material(B_ID)),
      resolver: bState,
      policies: bState,
      tracing: tracing(endpoint, sampling),
    },
  );
  const a = new Sidecar(
    defaultProxyOptions({
      namespace: 'bench',
      service: 'a',
      ...common,
      upstreams: [{ authority: AUTHORITY, host: '127.0.0.1', port: 0 }],
    }),
    {
      certificates: new StaticCertificateSource(material(A_ID)),
      resolver: aState,
      policies: aState,
      tracing: tracing(endpoint, sampling),
    },
  );
  const bPorts = await b.start();
  const aPorts = await a.start();
  const endpointOfB = {
    address: '127.0.0.1',
    port: 80,
    identity: B_ID,
    weight: 1,
    zone: '',
    meshed: { inboundPort: bPorts.inbound },
    labels: {},
  };
  aState.apply({
    versionInfo: '1',
    nonce: 'n1',
    removedNames: [],
    resources: [
      {
        name: AUTHORITY,
        version: '1',
        kind: 'destination',
        destination: {
          authority: AUTHORITY,
          service: 'b',
          namespace: 'bench',
          port: 80,
          protocol: 'PROTOCOL_HTTP',
          routes: [],
          backends: [
            { name: 'b.bench:80', service: 'b', namespace: 'bench', port: 80, endpoints: [endpointOfB] },
          ],
          policy: null,
        },
      },
    ],
  });
  return { port: aPorts.upstreams[AUTHORITY], close: async () => Promise.all([a.close(), b.close()]) };
}

function get(agent, port) {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
      res.resume();
      res.on('end', () =>
        res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`)),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** Latencies (ms) of `n` sequential requests. */
async function run(port, n) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await get(agent, port);
    out[i] = performance.now() - t0;
  }
  agent.destroy();
  return out.sort();
}

const q = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];

const live = `http://127.0.0.1:${collectorPort}`;
const cases = {
  off: await mesh(undefined, 0),
  'sampled 1%': await mesh(live, 0.01),
  'sampled 100%': await mesh(live, 1),
  'sampled 100%, collector down': await mesh(`http://127.0.0.1:${downPort}`, 1),
};
const best = {};
for (const [name, m] of Object.entries(cases)) {
  await run(m.port, 200); // warm up: pools, TLS, JIT
  best[name] = { p50: Number.POSITIVE_INFINITY, p99: Number.POSITIVE_INFINITY, rps: 0 };
}
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, m] of Object.entries(cases)) {
    const t0 = performance.now();
    const lat = await run(m.port, N);
    const rps = N / ((performance.now() - t0) / 1000);
    const b = best[name];
    b.p50 = Math.min(b.p50, q(lat, 0.5));
    b.p99 = Math.min(b.p99, q(lat, 0.99));
    b.rps = Math.max(b.rps, rps);
  }
}
const downStats = tracings.at(-1).stats();
for (const m of Object.values(cases)) await m.close();
await Promise.all(tracings.map((t) => t.close()));
origin.close();
collector.close();
rmSync(dir, { recursive: true, force: true });

const base = best.off;
const header = ['case', 'p50 ms', 'p99 ms', 'req/s', 'p50 x off', 'p99 x off'];
const rows = Object.entries(best).map(([name, b]) => [
  name,
  b.p50.toFixed(3),
  b.p99.toFixed(3),
  b.rps.toFixed(0),
  (b.p50 / base.p50).toFixed(2),
  (b.p99 / base.p99).toFixed(2),
]);
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const fmt = (cells) =>
  cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
console.log(
  `two sidecars, sequential keep-alive requests (${N} per round, best of ${ROUNDS}; node ${process.version})`,
);
console.log(fmt(header));
for (const r of rows) console.log(fmt(r));
console.log(
  `collector down: ${downStats.dropped} spans dropped, ${downStats.failed} failed, queue ${downStats.queued}/${downStats.capacity}`,
);
const r3 = (x) => Math.round(x * 1000) / 1000;
console.log(
  JSON.stringify({
    requests: N,
    rounds: ROUNDS,
    p50_ms: Object.fromEntries(Object.entries(best).map(([k, b]) => [k, r3(b.p50)])),
    p99_ms: Object.fromEntries(Object.entries(best).map(([k, b]) => [k, r3(b.p99)])),
    p99_sampled_1pct_vs_off: r3(best['sampled 1%'].p99 / base.p99),
    p99_sampled_all_vs_off: r3(best['sampled 100%'].p99 / base.p99),
    p99_collector_down_vs_off: r3(best['sampled 100%, collector down'].p99 / base.p99),
    collector_down_dropped: downStats.dropped,
  }),
);
