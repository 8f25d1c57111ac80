// Benchmark: AdmissionReview latency of the weft webhook (HTTPS, express, injectPod) against a
// bare node:https server that parses the same body and answers a fixed allow (the floor any
// webhook pays). The load generator is a child process, so the servers' CPU time per review
// is measured on its own; targets alternate over --rounds rounds and the best round of each is kept.
// Run: npm run bench:injector [-- --requests 4000 --concurrency 8 --rounds 3]
// Prints a table, ratios, and a JSON object as the last line.

import { execFileSync, fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, createServer, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { systemClock } from '@weft/core';
import {
  createReviewHandler,
  InjectorMetrics,
  injectPod,
  parseInjectorConfig,
  startWebhookServer,
} from '@weft/injector';
import { silentLogger } from '@weft/runtime';
import { parse } from 'yaml';

if (process.argv[2] === '--load-generator') {
  // The load generator: keep-alive HTTPS connections posting the same review.
  const {
    port,
    cert: certText,
    body: payload,
    requests,
    concurrency,
  } = await new Promise((resolve) => process.once('message', resolve));
  const cert = Buffer.from(certText);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const post = () =>
    new Promise((resolve, reject) => {
      const started = process.hrtime.bigint();
      const req = request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/inject',
          agent,
          ca: cert,
          headers: { 'content-type': 'application/json' },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`));
            else resolve(Number(process.hrtime.bigint() - started) / 1e6);
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  for (let i = 0; i < 200; i++) await post(); // warm up
  const latencies = [];
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests) {
        next += 1;
        latencies.push(await post());
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  agent.destroy();
  process.send({ latencies, seconds }, () => process.exit(0));
  await new Promise(() => {});
}

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '4000' },
    concurrency: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '3' },
  },
});
const REQUESTS = Number(values.requests);
const CONCURRENCY = Number(values.concurrency);
const ROUNDS = Number(values.rounds);

const dir = mkdtempSync(join(tmpdir(), 'weft-bench-injector-'));
execFileSync(
  'openssl',
  [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    join(dir, 'k'),
    '-out',
    join(dir, 'c'),
    '-days',
    '1',
    '-subj',
    '/CN=bench',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
  ],
  { stdio: 'ignore' },
);
const tls = { cert: readFileSync(join(dir, 'c')), key: readFileSync(join(dir, 'k')) };

const pod = parse(
  readFileSync(new URL('../../../test/fixtures/injector/bookinfo-productpage.yaml', import.meta.url), 'utf8'),
);
const body = JSON.stringify({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: {
    uid: '705ab4f5-6393-11e8-b7cc-42010a800002',
    kind: { group: '', version: 'v1', kind: 'Pod' },
    resource: { group: '', version: 'v1', resource: 'pods' },
    namespace: 'bookinfo',
    operation: 'CREATE',
    object: pod,
  },
});

const config = parseInjectorConfig();
const namespace = { name: 'bookinfo', annotations: { 'weft.dev/inject': 'enabled' } };

async function startWeft() {
  const metrics = new InjectorMetrics();
  const handler = createReviewHandler({
    config,
    namespaces: { get: async () => ({ type: 'found', namespace, source: 'cache' }) },
    metrics,
    logger: silentLogger(),
    clock: systemClock,
  });
  const server = await startWebhookServer({
    handler,
    metrics,
    logger: silentLogger(),
    tls,
    host: '127.0.0.1',
    port: 0,
  });
  return { port: server.address.port, close: () => server.close() };
}

async function startBare() {
  const server = createServer(tls, (req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const review = JSON.parse(Buffer.concat(chunks).toString());
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          apiVersion: review.apiVersion,
          kind: 'AdmissionReview',
          response: { uid: review.request.uid, allowed: true },
        }),
      );
    });
  });
  let connections = 0;
  server.on('secureConnection', () => {
    connections += 1;
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: server.address().port,
    connections: () => connections,
    close: () =>
      new Promise((r) => {
        server.close(r);
        server.closeAllConnections();
      }),
  };
}

async function run(name, target) {
  const cpuBefore = process.cpuUsage();
  const { latencies, seconds } = await new Promise((resolve, reject) => {
    const child = fork(new URL(import.meta.url), ['--load-generator'], { stdio: 'inherit' });
    child.send({
      port: target.port,
      cert: tls.cert.toString(),
      body,
      requests: REQUESTS,
      concurrency: CONCURRENCY,
    });
    child.once('message', resolve);
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? undefined : reject(new Error(`load generator exited ${code}`)),
    );
  });
  const cpu = process.cpuUsage(cpuBefore);
  // Includes the 200 warm-up requests.
  const cpuUsPerReview = (cpu.user + cpu.system) / (REQUESTS + 200);
  await target.close();
  latencies.sort((a, b) => a - b);
  const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
  return {
    name,
    connections: target.connections?.(),
    requests: latencies.length,
    rps: latencies.length / seconds,
    p50: q(0.5),
    p99: q(0.99),
    max: latencies.at(-1),
    cpuUs: cpuUsPerReview,
  };
}

// The pure function alone.
const pureRuns = 20000;
for (let i = 0; i < 2000; i++) injectPod(pod, namespace, config);
const t0 = process.hrtime.bigint();
for (let i = 0; i < pureRuns; i++) injectPod(pod, namespace, config);
const pureUs = Number(process.hrtime.bigint() - t0) / 1e3 / pureRuns;

const best = (runs) => runs.reduce((a, b) => (b.p99 < a.p99 ? b : a));
const bareRuns = [];
const weftRuns = [];
for (let round = 0; round < ROUNDS; round++) {
  bareRuns.push(await run('bare node:https (parse + fixed allow)', await startBare()));
  weftRuns.push(await run('weft injector (express + injectPod)', await startWeft()));
}
const bare = best(bareRuns);
const weft = best(weftRuns);
rmSync(dir, { recursive: true, force: true });

const f = (n) => n.toFixed(2).padStart(9);
console.log(
  `AdmissionReview of a 2-container pod, ${REQUESTS} requests, ${CONCURRENCY} concurrent keep-alive HTTPS connections, best of ${ROUNDS} rounds by p99`,
);
console.log(
  `p99 per round: bare ${bareRuns.map((r) => r.p99.toFixed(2)).join(', ')}; weft ${weftRuns.map((r) => r.p99.toFixed(2)).join(', ')}`,
);
console.log(
  `${'server'.padEnd(40)}${'req/s'.padStart(9)}${'p50 ms'.padStart(10)}${'p99 ms'.padStart(10)}${'max ms'.padStart(10)}${'server CPU µs/review'.padStart(22)}`,
);
for (const r of [bare, weft]) {
  console.log(
    `${r.name.padEnd(40)}${r.rps.toFixed(0).padStart(9)} ${f(r.p50)} ${f(r.p99)} ${f(r.max)}${r.cpuUs.toFixed(0).padStart(22)}`,
  );
}
console.log(`bare server TLS connections: ${bare.connections} (keep-alive works)`);
console.log(`injectPod alone: ${pureUs.toFixed(1)} µs per pod`);
console.log(
  `ratios weft/bare: p99 ${(weft.p99 / bare.p99).toFixed(2)}x, throughput ${(weft.rps / bare.rps).toFixed(2)}x, server CPU ${(weft.cpuUs / bare.cpuUs).toFixed(2)}x`,
);
console.log(
  JSON.stringify({
    bench: 'injector-review',
    requests: REQUESTS,
    concurrency: CONCURRENCY,
    rounds: ROUNDS,
    weft: {
      rps: Math.round(weft.rps),
      p50Ms: +weft.p50.toFixed(3),
      p99Ms: +weft.p99.toFixed(3),
      cpuUsPerReview: Math.round(weft.cpuUs),
    },
    bare: {
      rps: Math.round(bare.rps),
      p50Ms: +bare.p50.toFixed(3),
      p99Ms: +bare.p99.toFixed(3),
      cpuUsPerReview: Math.round(bare.cpuUs),
    },
    injectPodUs: +pureUs.toFixed(1),
    p99RatioVsBare: +(weft.p99 / bare.p99).toFixed(2),
    cpuRatioVsBare: +(weft.cpuUs / bare.cpuUs).toFixed(2),
    p99Under10ms: weft.p99 < 10,
  }),
);
