#!/usr/bin/env node
// A/B of a mesh sidecar's start-up: the esbuild bundle of `weft proxy` against the compiled
// modules (WEFT_PROXY_BUNDLE=1 / =0), interleaved, the same control plane on loopback, every
// process pinned with taskset. Per start: exec → the `{"event":"ready"}` line (listening,
// certificate from Certify, first discovery push), the CPU the sidecar used until then (user +
// system, all threads, from /proc), and its RSS at that moment. Prints a table and, last, JSON.
//
//   node test/bench/proxy/ready-ab.mjs [--starts 9] [--core 1] [--cp-core 0] [--node PATH]
//
// Needs `npm run build` (the bundle is packages/cli/dist/proxy-bundle/).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startPinned, stop, stopAll } from './processes.mjs';

const argv = process.argv.slice(2);
const arg = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const STARTS = Number(arg('starts', '9'));
const CORE = Number(arg('core', '1'));
const CP_CORE = Number(arg('cp-core', '0'));
const NODE = arg('node', process.execPath);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const WEFT = join(ROOT, 'packages', 'cli', 'bin', 'weft.js');
const CLK_TCK = 100;

const { sidecarNodeOptions } = await import(
  pathToFileURL(join(ROOT, 'packages', 'core', 'dist', 'sidecar-runtime.js')).href
);
const weft = (args) => execFileSync(NODE, [WEFT, ...args], { encoding: 'utf8' });

function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
}
const rssMb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;

function waitFor(proc, predicate, what, timeoutMs = 30_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${proc.name}: no ${what} in ${timeoutMs} ms`)),
      timeoutMs,
    );
    let seen = '';
    const onData = (chunk) => {
      seen += chunk.toString();
      for (const line of seen.split('\n')) {
        if (!line.startsWith('{')) continue;
        let event;
        try {
          event = JSON.parse(line);
        } catch {
          continue;
        }
        if (predicate(event)) {
          clearTimeout(timer);
          proc.child.stdout.off('data', onData);
          resolve(event);
          return;
        }
      }
    };
    proc.child.stdout.on('data', onData);
    proc.child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${proc.name} exited (${code}): ${proc.output.trim()}`));
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), 'weft-ready-ab-'));
try {
  const identity = join(dir, 'identity');
  const config = join(dir, 'config');
  mkdirSync(config);
  weft(['identity', 'create-ca', '--identity-dir', identity]);
  writeFileSync(
    join(config, 'origin.yaml'),
    'apiVersion: v1\nkind: Service\nmetadata: {name: origin, namespace: bench}\nspec:\n  selector: {app: origin}\n  ports:\n  - {name: http, port: 80, targetPort: 80}\n',
  );
  const tokenFile = join(dir, 'client.token');
  writeFileSync(
    tokenFile,
    weft([
      ...['token', 'create', '--identity-dir', identity, '--namespace', 'bench'],
      ...['--service-account', 'client', '--service', 'client'],
    ]).trim(),
    { mode: 0o600 },
  );
  const env = { ...process.env, WEFT_LOG_LEVEL: 'warn' };
  const cp = startPinned(
    'control-plane',
    CP_CORE,
    NODE,
    [
      ...[WEFT, 'control-plane', '--config-dir', config, '--identity-dir', identity],
      ...['--listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0'],
    ],
    { env },
  );
  const { grpc } = await waitFor(cp, (e) => e.event === 'listening', 'listening line');
  const proxyArgs = [
    ...[WEFT, 'proxy', '--namespace', 'bench', '--service', 'client', '--service-account', 'client'],
    ...[
      '--token-file',
      tokenFile,
      '--control-plane',
      `127.0.0.1:${grpc}`,
      '--ca-file',
      join(identity, 'ca.crt'),
    ],
    ...['--upstream', 'origin.bench.svc.cluster.local:80=127.0.0.1:0', '--listen-host', '127.0.0.1'],
    ...['--admin-host', '127.0.0.1', '--inbound-port', '0', '--outbound-port', '0', '--admin-port', '0'],
  ];
  const variants = { modules: '0', bundle: '1' };
  const results = { modules: [], bundle: [] };
  // One discarded start of each warms the page cache and the control plane.
  for (let i = -1; i < STARTS; i++) {
    const order = i % 2 === 0 ? ['modules', 'bundle'] : ['bundle', 'modules'];
    for (const name of order) {
      const started = performance.now();
      const proc = startPinned(`proxy-${name}`, CORE, NODE, proxyArgs, {
        env: { ...env, NODE_OPTIONS: sidecarNodeOptions(''), WEFT_PROXY_BUNDLE: variants[name] },
      });
      const ready = await waitFor(proc, (e) => e.event === 'ready', 'ready line');
      const sample = {
        readyMs: performance.now() - started,
        cpuMs: cpuMs(proc.pid),
        rssMb: rssMb(proc.pid),
        timeline: ready.timeline,
      };
      await stop(proc);
      if (i >= 0) results[name].push(sample);
    }
  }
  await stop(cp);
  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)];
  };
  const summary = {};
  for (const [name, samples] of Object.entries(results)) {
    summary[name] = {
      ready_ms: Math.round(median(samples.map((s) => s.readyMs))),
      cpu_ms: Math.round(median(samples.map((s) => s.cpuMs))),
      rss_mb: Number(median(samples.map((s) => s.rssMb)).toFixed(1)),
      timeline: Object.fromEntries(
        Object.keys(samples[0].timeline).map((k) => [
          k,
          Math.round(median(samples.map((s) => s.timeline[k]))),
        ]),
      ),
    };
  }
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.log(
    `node ${execFileSync(NODE, ['--version'], { encoding: 'utf8' }).trim()}, ${STARTS} starts each, interleaved, load ${load}`,
  );
  const steps = Object.keys(summary.modules.timeline);
  console.log(`variant   ready ms  cpu ms  rss MB  ${steps.map((k) => k.padStart(12)).join('')}`);
  for (const [name, s] of Object.entries(summary))
    console.log(
      `${name.padEnd(9)} ${String(s.ready_ms).padStart(8)} ${String(s.cpu_ms).padStart(7)} ${String(s.rss_mb).padStart(7)}  ${steps.map((k) => String(s.timeline[k]).padStart(12)).join('')}`,
    );
  console.log(
    JSON.stringify({
      ...summary,
      bundle_vs_modules_ready: Number((summary.bundle.ready_ms / summary.modules.ready_ms).toFixed(2)),
      bundle_vs_modules_cpu: Number((summary.bundle.cpu_ms / summary.modules.cpu_ms).toFixed(2)),
      load,
    }),
  );
} finally {
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
}
