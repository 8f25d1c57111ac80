// Per-request garbage of the client sidecar: a two-sidecar mTLS mesh (control plane, server
// sidecar, client sidecar, through the real CLI over dist/) carries a fixed rate of GET requests
// (h2load, open loop) while the client sidecar runs with `--trace-gc-nvp`. Prints, for the
// scavenges during the load: count, bytes promoted per scavenge (median, mean, max), bytes
// allocated per request, and the scavenge pause (median, max).
//
//   node test/bench/exchange/gc-mesh.mjs [--rate 1000] [--seconds 15] [--proxy-core 1]
//                                        [--load-core 0] [--nice 10] [--json]
//
// Bounded: h2load sends rate x (seconds + 2 s warm-up) requests, then everything is stopped.
// Needs `npx tsc -b`, nginx and h2load (nghttp2-client).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixedRateLatency } from '../proxy/load.mjs';
import { killAllSync, setNiceness, stop, stopAll } from '../proxy/processes.mjs';
import { startHttpOrigin } from '../proxy/targets.mjs';
import { setWeftGcFlags, startWeftMesh } from '../proxy/weft.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

function flag(name, fallback) {
  const i = process.argv.indexOf(name);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
}

const rate = flag('--rate', 1000);
const seconds = flag('--seconds', 15);
const warmupSeconds = 2;
const proxyCore = flag('--proxy-core', 1);
const loadCore = flag('--load-core', 0);
const nice = flag('--nice', 10);
const asJson = process.argv.includes('--json');

/** One `--trace-gc-nvp` line: `… ms: pause=0.4 mutator=… gc=s … allocated=N promoted=N …`. */
export function parseNvpLine(line) {
  const m = /^\[\d+:0x[0-9a-f]+\]\s+(\d+(?:\.\d+)?) ms: pause=/.exec(line);
  if (m === null) return undefined;
  const fields = {};
  for (const kv of line.slice(m[0].length - 'pause='.length).split(' ')) {
    const eq = kv.indexOf('=');
    if (eq > 0) fields[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return {
    atMs: Number(m[1]),
    kind: fields.gc === 's' ? 'scavenge' : fields.gc,
    pauseMs: Number(fields.pause),
    allocated: Number(fields.allocated),
    promoted: Number(fields.promoted),
  };
}

/** Requests the client sidecar answered outbound so far (its admin /metrics). */
async function outboundRequests(adminPort) {
  if (adminPort === undefined) throw new Error('the client sidecar printed no admin port');
  const text = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
  let n = 0;
  for (const m of text.matchAll(/^weft_proxy_requests_total\{[^}]*direction="outbound"[^}]*\} (\d+)/gm))
    n += Number(m[1]);
  return n;
}

function median(values) {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
}

/** Summarizes the collections in `text` for `requests` requests. */
export function summarizeNvp(text, requests) {
  const events = text
    .split('\n')
    .map(parseNvpLine)
    .filter((e) => e !== undefined);
  const scavenges = events.filter((e) => e.kind === 'scavenge');
  const allocated = events.reduce((n, e) => n + e.allocated, 0);
  const promoted = scavenges.map((e) => e.promoted);
  const pauses = scavenges.map((e) => e.pauseMs);
  return {
    requests,
    collections: events.length,
    scavenges: scavenges.length,
    promotedPerScavengeMedianBytes: median(promoted),
    promotedPerScavengeMeanBytes:
      promoted.length === 0 ? null : Math.round(promoted.reduce((a, b) => a + b, 0) / promoted.length),
    promotedPerScavengeMaxBytes: promoted.length === 0 ? null : Math.max(...promoted),
    allocatedPerRequestBytes: requests === 0 ? null : Math.round(allocated / requests),
    scavengePauseMedianMs: median(pauses),
    scavengePauseMaxMs: pauses.length === 0 ? null : Math.max(...pauses),
    fullCollections: events.length - scavenges.length,
  };
}

async function main() {
  process.on('exit', killAllSync);
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      killAllSync();
      process.exit(130);
    });
  }
  execFileSync('taskset', ['-a', '-p', '-c', String(loadCore), String(process.pid)], { stdio: 'ignore' });
  if (nice !== 0) setNiceness(nice);
  setWeftGcFlags(['--trace-gc-nvp']);
  const dir = mkdtempSync(join(tmpdir(), 'weft-gc-mesh-'));
  try {
    const origin = await startHttpOrigin({ core: loadCore, dir });
    const mesh = await startWeftMesh(root, {
      core: proxyCore,
      loadCore,
      dir,
      originPort: origin.port,
    });
    try {
      const gc = mesh.gcProc.gc;
      const admin = mesh.gcProc.listening?.admin;
      const before = await outboundRequests(admin);
      gc.text = '';
      gc.recording = true;
      let p99Ms = null;
      try {
        const latency = await fixedRateLatency({
          core: loadCore,
          url: mesh.url,
          rate,
          connections: 10,
          seconds,
          warmupSeconds,
        });
        p99Ms = latency.p99;
      } catch (err) {
        // A starved machine can leave h2load short of its count: the GC numbers still hold,
        // per request as the client sidecar counted them.
        console.error(`h2load did not finish: ${String(err).split('\n')[0]}`);
      }
      gc.recording = false;
      const requests = (await outboundRequests(admin)) - before;
      const summary = summarizeNvp(gc.text, requests);
      const load = (await import('node:os')).loadavg()[0].toFixed(1);
      const out = { node: process.version, rate, seconds, loadAverage: load, p99Ms, ...summary };
      if (asJson) console.log(JSON.stringify(out));
      else for (const [k, v] of Object.entries(out)) console.log(`${k.padEnd(34)} ${v}`);
    } finally {
      for (const proc of mesh.procs) await stop(proc);
      await mesh.cleanup();
    }
  } finally {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    console.error(err);
    killAllSync();
    process.exit(1);
  });
}
