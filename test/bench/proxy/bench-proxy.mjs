#!/usr/bin/env node
// npm run bench:proxy [-- --quick] [-- --out FILE]
//
// Side by side on one machine: direct, weft (outbound only; full two-sidecar mTLS path),
// HAProxy (HTTP; an mTLS pair; mode tcp), nginx, node-http-proxy. Each proxy is pinned to
// the proxy core, the origin and the load generators to the load core. Writes the tables
// to docs/benchmarks.md; the last stdout line is a JSON object with the headline figures.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeMtlsCerts } from './certs.mjs';
import { measureHttp, measureTcp } from './measure.mjs';
import { killAllSync, stop, stopAll } from './processes.mjs';
import { headline, httpTable, tcpTable } from './report.mjs';
import * as alt from './targets.mjs';
import { checkTools, versions } from './tools.mjs';
import { startWeftMesh, startWeftOutbound, weftAvailability } from './weft.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const outIndex = argv.indexOf('--out');
const outFile = resolve(root, outIndex >= 0 ? argv[outIndex + 1] : 'docs/benchmarks.md');
// --only KEY,KEY (development): run just these rows (keys: direct, weft-outbound, weft-mesh,
// haproxy, haproxy-mtls, nginx, node-http-proxy, direct-tcp, weft-tcp, weft-mesh-tcp, haproxy-tcp).
const onlyIndex = argv.indexOf('--only');
const only = onlyIndex >= 0 ? new Set(argv[onlyIndex + 1].split(',')) : undefined;

const log = (line) => process.stderr.write(`${line}\n`);

const ncpu = cpus().length;
const loadCore = 0;
const proxyCore = ncpu > 1 ? 1 : 0;
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
};

process.on('exit', killAllSync);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    killAllSync();
    process.exit(130);
  });
}

async function runRow(row, start, measure) {
  if (only && !only.has(row.key)) row.skipped = 'excluded by --only';
  if (row.skipped) {
    log(`${row.label}: not run (${row.skipped})`);
    return row;
  }
  log(`${row.label}: starting`);
  let target;
  try {
    target = await start();
    row.result = await measure(target);
    log(`${row.label}: ${JSON.stringify(row.result)}`);
  } catch (err) {
    // One line for the table: the process's last complaint is the useful part.
    const text = err instanceof Error ? err.message : String(err);
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    row.error = lines.length > 1 ? `${lines[0]} … ${lines[lines.length - 1]}` : text;
    row.error = row.error.replace(/\s+/g, ' ').replace(/\|/g, '/');
    log(`${row.label}: FAILED: ${row.error}`);
  } finally {
    for (const proc of target?.procs ?? []) await stop(proc);
    await target?.cleanup?.();
  }
  return row;
}

async function main() {
  checkTools();
  if (ncpu < 2) log(`warning: ${ncpu} CPU core; the proxy and the load generator share it`);
  // The benchmark's own sampling stays off the proxy core.
  execFileSync('taskset', ['-a', '-p', '-c', String(loadCore), String(process.pid)], { stdio: 'ignore' });
  const dir = mkdtempSync(join(tmpdir(), 'weft-bench-proxy-'));
  const loadBefore = loadavg();
  const weft = weftAvailability(root);
  const skipWeft = weft.ok ? undefined : weft.reason;
  const ctx = { core: proxyCore, dir };
  try {
    const certs = makeMtlsCerts(dir);
    const origin = await alt.startHttpOrigin({ core: loadCore, dir });
    const tcpOrigin = await alt.startTcpOrigin({ core: loadCore });
    const o = { ...ctx, originPort: origin.port, tcpOriginPort: tcpOrigin.port, certs };
    const http = (r) => measureHttp(r, plan);
    const tcp = (r) => measureTcp(r, plan);
    const httpRows = [];
    const row = (key, label, skipped) => ({ key, label, skipped });
    httpRows.push(
      await runRow(
        row('direct', 'direct (no proxy)'),
        async () => ({ url: `http://127.0.0.1:${origin.port}/`, procs: [] }),
        http,
      ),
    );
    httpRows.push(
      await runRow(
        row('weft-outbound', 'weft, outbound only (plaintext)', skipWeft),
        () => startWeftOutbound(root, o),
        http,
      ),
    );
    httpRows.push(
      await runRow(
        row('weft-mesh', 'weft, two sidecars, mTLS', skipWeft),
        () => startWeftMesh(root, o),
        http,
      ),
    );
    httpRows.push(await runRow(row('haproxy', 'HAProxy (nbthread 1)'), () => alt.startHaproxyHttp(o), http));
    httpRows.push(
      await runRow(row('haproxy-mtls', 'HAProxy pair, mTLS'), () => alt.startHaproxyMtlsPair(o), http),
    );
    httpRows.push(
      await runRow(row('nginx', 'nginx (1 worker, upstream keepalive)'), () => alt.startNginxProxy(o), http),
    );
    httpRows.push(
      await runRow(
        row('node-http-proxy', 'node-http-proxy (keep-alive agent)'),
        () => alt.startNodeHttpProxy(o),
        http,
      ),
    );

    const tcpRows = [];
    tcpRows.push(
      await runRow(
        row('direct-tcp', 'direct (no proxy)'),
        async () => ({ port: tcpOrigin.port, procs: [] }),
        tcp,
      ),
    );
    tcpRows.push(
      await runRow(
        row('weft-tcp', 'weft, outbound only (opaque TCP)', skipWeft),
        () => startWeftOutbound(root, { ...o, tcp: true }),
        tcp,
      ),
    );
    tcpRows.push(
      await runRow(
        row('weft-mesh-tcp', 'weft, two sidecars, mTLS (opaque TCP)', skipWeft),
        () => startWeftMesh(root, { ...o, tcp: true }),
        tcp,
      ),
    );
    tcpRows.push(await runRow(row('haproxy-tcp', 'HAProxy mode tcp'), () => alt.startHaproxyTcp(o), tcp));

    const summary = headline(httpRows, tcpRows);
    const failed = [...httpRows, ...tcpRows].filter((r) => r.error);
    writeReport({ httpRows, tcpRows, summary, loadBefore, loadAfter: loadavg() });
    log(`wrote ${relative(root, outFile)}`);
    process.stdout.write(`${httpTable(httpRows, { loadCore, proxyCore })}\n\n${tcpTable(tcpRows)}\n`);
    process.stdout.write(
      `${JSON.stringify({ ...summary, quick, weft: weft.ok ? 'measured' : `not run: ${weft.reason}` })}\n`,
    );
    if (failed.length > 0) {
      log(`failed rows: ${failed.map((r) => r.label).join(', ')}`);
      process.exitCode = 1;
    }
  } finally {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

function writeReport({ httpRows, tcpRows, summary, loadBefore, loadAfter }) {
  const command = `npm run bench:proxy${quick ? ' -- --quick' : ''}`;
  const v = versions();
  const text = `# Benchmarks

## Sidecar proxy (\`${command}\`)

Measured ${new Date().toISOString()} by \`${command}\` (script: \`test/bench/proxy/bench-proxy.mjs\`)${quick ? ' in **quick mode** (short runs: development numbers only)' : ''}.

Machine: ${ncpu} × ${cpus()[0]?.model ?? 'unknown CPU'}; Node ${process.version}; ${v}.
Load average before/after: ${loadBefore.map((x) => x.toFixed(2)).join(' ')} / ${loadAfter.map((x) => x.toFixed(2)).join(' ')} (the machine is shared; rows are run one after another).

How: each proxy is pinned with \`taskset\` to core ${proxyCore} (the two sidecars of a pair share it); the origin
(nginx, one worker, \`return 200\` with a 1 KiB body), the load generators and this script are pinned to core ${loadCore}.
- **max req/s**: \`wrk -t1 -c${plan.connections}\`, best of ${plan.rounds} × ${plan.maxSeconds} s after a ${plan.warmupSeconds} s warm-up; "proxy CPU at max" is the proxy's CPU use during that run (100% = the proxy core is saturated, so the proxy is the bottleneck).
- **p50/p99 @1k**: \`h2load --h1\`, ${plan.rateConnections} connections opened 1 ms apart, each sending ${plan.rate / plan.rateConnections} req/s (${plan.rate} req/s in total, evenly spread), ${plan.latencySeconds} s after ${plan.latencyWarmupSeconds} s of warm-up; percentiles from h2load's per-request log; the run with the median p99 of ${plan.latencyRuns} is kept (p99 of each run in the JSON below).
- **RSS MB @1k**: peak resident memory of the proxy processes during that run (both sidecars together for a pair; nginx master + worker); **CPU per 1k req/s**: the proxy processes' CPU time during the run divided by the rate.
- **opaque TCP**: \`iperf3\` (one stream, ${plan.tcpSeconds} s, best of ${plan.rounds}) through the proxy to an \`iperf3 -s\` origin.

### HTTP/1.1, 1 KiB responses

${httpTable(httpRows, { loadCore, proxyCore })}

### Opaque TCP throughput

${tcpTable(tcpRows)}

### Headline

\`\`\`json
${JSON.stringify(summary, null, 2)}
\`\`\`

p99 (ms) of each latency run: ${httpRows
    .filter((r) => r.result)
    .map((r) => `${r.label}: ${r.result.p99Runs.map((x) => x.toFixed(3)).join(', ')}`)
    .join('; ')}.
`;
  writeFileSync(outFile, text);
}

main().catch(async (err) => {
  log(`bench:proxy failed: ${err instanceof Error ? err.message : String(err)}`);
  await stopAll();
  process.exit(1);
});
