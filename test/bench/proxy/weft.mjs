// weft under test, through its real CLI (packages/cli/bin/weft.js over the built dist/):
// one outbound-only proxy (no control plane: the origin is outside the mesh, so traffic
// passes through in plaintext), or the full path (control plane + two sidecars, mTLS).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { tcpThroughput } from './load.mjs';
import { freePort, startPinned, stop, waitForPort } from './processes.mjs';
import { summarizeReadiness } from './report.mjs';

/** The node binary the weft processes run on (`--node PATH`; default: the one running the bench). */
let nodeBin = process.execPath;

/** Runs every weft process started from now on with `path` (e.g. a Node 24 binary). */
export function setWeftNode(path) {
  nodeBin = path;
}

/** `node --version` of the binary the weft processes run on. */
export function weftNodeVersion() {
  return spawnSync(nodeBin, ['--version'], { encoding: 'utf8' }).stdout.trim();
}

/**
 * NODE_OPTIONS for a sidecar, exactly as the injector and `weft up` set them
 * (`sidecarNodeOptions` in @weft/core, from the built dist).
 */
async function sidecarEnv(root) {
  const url = pathToFileURL(join(root, 'packages', 'core', 'dist', 'sidecar-runtime.js')).href;
  const { sidecarNodeOptions } = await import(url);
  return { NODE_OPTIONS: sidecarNodeOptions(process.env.NODE_OPTIONS ?? '') };
}

function weftBin(root) {
  return join(root, 'packages', 'cli', 'bin', 'weft.js');
}

function help(root, args) {
  const result = spawnSync(nodeBin, [weftBin(root), ...args, '--help'], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  // An unknown subcommand prints the top-level help (exit 0): require the command's own usage.
  return result.status === 0 && result.stdout.includes(`Usage: weft ${args.join(' ')}`)
    ? result.stdout
    : undefined;
}

/** What the weft rows can run on this checkout: `outbound` and `mesh`, each ok or why not. */
export function weftAvailability(root) {
  if (!existsSync(join(root, 'packages', 'cli', 'dist', 'program.js'))) {
    const why = 'packages/cli is not built (run `npx tsc -b`)';
    return { outbound: { ok: false, reason: why }, mesh: { ok: false, reason: why } };
  }
  const proxy = help(root, ['proxy']);
  if (proxy === undefined || !proxy.includes('--upstream')) {
    const why = 'the `weft proxy` command (with --upstream) has not landed on this branch';
    return { outbound: { ok: false, reason: why }, mesh: { ok: false, reason: why } };
  }
  for (const command of [['control-plane'], ['identity', 'create-ca'], ['token', 'create']]) {
    if (help(root, command) === undefined) {
      const why = `the \`weft ${command.join(' ')}\` command has not landed on this branch`;
      return { outbound: { ok: true }, mesh: { ok: false, reason: why } };
    }
  }
  return { outbound: { ok: true }, mesh: { ok: true } };
}

/** Waits (bounded) for the proxy's `{"event":"listening",...}` line on stdout. */
async function listening(proc, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const line of proc.output.split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        const event = JSON.parse(line);
        if (event.event === 'listening') {
          proc.listening = event; // kept: later output may push the line out of proc.output
          return event;
        }
      } catch {
        // a partial line; read again
      }
    }
    if (proc.exited) throw new Error(`${proc.name} exited (${proc.exitCode}): ${proc.output.trim()}`);
    await sleep(50);
  }
  throw new Error(`${proc.name} printed no listening line within ${timeoutMs} ms: ${proc.output.trim()}`);
}

/** Flags every benchmarked proxy shares: loopback only, every port picked by the kernel. */
const LOCAL = [
  '--listen-host',
  '127.0.0.1',
  '--admin-host',
  '127.0.0.1',
  '--inbound-port',
  '0',
  '--outbound-port',
  '0',
  '--admin-port',
  '0',
];

/** Extra node flags for the sidecar that records GC (`traceGc`), e.g. `--trace-gc-nvp`. */
let gcFlags = ['--trace-gc'];

/** Sets the node flags the GC-recording sidecar runs with (default `--trace-gc`). */
export function setWeftGcFlags(flags) {
  gcFlags = flags;
}

/** Where `--cpu-prof DIR` asked for V8 CPU profiles of the weft processes (undefined: none). */
let profileDir;

/** Sets the folder for `node --cpu-prof` profiles of every weft process started from now on. */
export function setWeftProfileDir(dir) {
  profileDir = dir;
}

/**
 * Starts a weft process pinned to `core`. Sidecars (`proxy`) get the sidecar NODE_OPTIONS;
 * `traceGc` adds `--trace-gc` and keeps its GC lines while `proc.gc.recording` is true.
 */
async function startWeft(root, name, core, args, { traceGc = false } = {}) {
  // warn keeps the run quiet (info logs per event, never per request, but still noise).
  const env = { ...process.env, WEFT_LOG_LEVEL: process.env.WEFT_LOG_LEVEL ?? 'warn' };
  if (args[0] === 'proxy') Object.assign(env, await sidecarEnv(root));
  const node =
    profileDir === undefined
      ? []
      : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${name}-${Date.now()}.cpuprofile`];
  if (traceGc) node.push(...gcFlags);
  const proc = startPinned(name, core, nodeBin, [...node, weftBin(root), ...args], { env });
  if (traceGc) {
    proc.gc = { recording: false, text: '' };
    proc.child.stdout.on('data', (chunk) => {
      if (proc.gc.recording) proc.gc.text += chunk.toString();
    });
  }
  return proc;
}

/**
 * exec -> ready of one sidecar: the ms from spawning it until it printed its
 * `{"event":"ready"}` line (listening, certificate held, first discovery push), and the
 * start-up steps it reported. Stops it afterwards.
 */
async function timeReady(root, name, core, args, timeoutMs = 30_000) {
  const started = performance.now();
  const proc = await startWeft(root, name, core, args);
  try {
    return await new Promise((resolve, reject) => {
      let out = '';
      const timer = setTimeout(
        () => reject(new Error(`${name}: not ready within ${timeoutMs} ms`)),
        timeoutMs,
      );
      proc.child.stdout.on('data', (chunk) => {
        out += chunk.toString();
        for (const line of out.split('\n')) {
          if (!line.startsWith('{"event":"ready"')) continue;
          const readyMs = performance.now() - started;
          clearTimeout(timer);
          resolve({ readyMs, timeline: JSON.parse(line).timeline });
        }
      });
      proc.child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited (${code}) before it was ready: ${proc.output.trim()}`));
      });
    });
  } finally {
    await stop(proc);
  }
}

/**
 * `weft proxy --upstream 127.0.0.1:ORIGIN=127.0.0.1:PORT` without a control plane: the
 * origin is not a mesh service, so the proxy carries the traffic as egress (HTTP parsed and
 * re-serialized, or opaque TCP with `tcp: true`).
 */
export async function startWeftOutbound(root, { core, originPort, tcpOriginPort, tcp = false }) {
  const port = await freePort();
  const target = tcp ? tcpOriginPort : originPort;
  const args = ['--namespace', 'bench', '--service', 'bench-client', ...LOCAL];
  args.push('--upstream', `127.0.0.1:${target}=127.0.0.1:${port}`);
  // Like HAProxy `mode tcp`, the TCP row declares its port opaque (no protocol sniffing).
  if (tcp) args.push('--opaque-ports', String(target));
  const proc = await startWeft(root, tcp ? 'weft-outbound-tcp' : 'weft-outbound', core, ['proxy', ...args]);
  await listening(proc);
  await waitForPort(proc, port);
  return tcp ? { port, procs: [proc] } : { url: `http://127.0.0.1:${port}/`, procs: [proc] };
}

function weftSync(root, args) {
  const result = spawnSync(nodeBin, [weftBin(root), ...args], { encoding: 'utf8', timeout: 30_000 });
  if (result.status !== 0) {
    throw new Error(`weft ${args.slice(0, 2).join(' ')} failed (${result.status}): ${result.stderr.trim()}`);
  }
  return result.stdout;
}

/** Sends GET / through `port` until the answer is 200 (bounded): discovery and certificates are in. */
async function until200(port, proc, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (proc.exited) throw new Error(`${proc.name} exited (${proc.exitCode}): ${proc.output.trim()}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(5000) });
      last = `${res.status} ${(await res.text()).slice(0, 200)}`;
      if (res.status === 200) return;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await sleep(200);
  }
  throw new Error(`no 200 through the mesh within ${timeoutMs} ms (last: ${last})`);
}

/** Runs a 1 s iperf3 through `port` until one succeeds (bounded): the opaque mesh path works. */
async function untilTcpFlows(port, proc, loadCore, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (proc.exited) throw new Error(`${proc.name} exited (${proc.exitCode}): ${proc.output.trim()}`);
    try {
      await tcpThroughput({ core: loadCore, port, seconds: 1 });
      return;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
      await sleep(500);
    }
  }
  throw new Error(`no TCP through the mesh within ${timeoutMs} ms (last: ${last})`);
}

/** The local-mode manifests: one Service `origin` in namespace `bench`. */
function originService(tcp) {
  const portName = tcp ? 'tcp-iperf' : 'http';
  return `apiVersion: v1
kind: Service
metadata: {name: origin, namespace: bench}
spec:
  selector: {app: origin}
  ports:
  - {name: ${portName}, port: 80, targetPort: 80}
`;
}

/**
 * The full path: `weft control-plane` over a manifests folder (CA from `weft identity
 * create-ca`), a server sidecar registering service `origin` (inbound 80 -> the origin) and a
 * client sidecar with `--upstream origin.bench.svc.cluster.local:80=127.0.0.1:PORT`; both
 * sidecars get their SVIDs through Certify with join tokens from `weft token create`, and talk
 * mTLS to each other. The sidecars are pinned to the proxy core, the control plane (idle during
 * the measurement) to the load core.
 */
export async function startWeftMesh(
  root,
  { core, loadCore, dir, originPort, tcpOriginPort, tcp = false, readyStarts = 0 },
) {
  const base = mkdtempSync(join(dir, tcp ? 'weft-mesh-tcp-' : 'weft-mesh-'));
  const identity = join(base, 'identity');
  const config = join(base, 'config');
  mkdirSync(config, { recursive: true });
  weftSync(root, ['identity', 'create-ca', '--out', identity]);
  // Each sidecar registers the service named like its service account: the token must allow it.
  const token = (sa) => {
    const file = join(base, `${sa}.token`);
    const text = weftSync(root, [
      'token',
      'create',
      '--identity-dir',
      identity,
      '--namespace',
      'bench',
      '--service-account',
      sa,
      '--service',
      sa,
    ]);
    writeFileSync(file, text.trim(), { mode: 0o600 });
    return file;
  };
  writeFileSync(join(config, 'origin.yaml'), originService(tcp));
  const procs = [];
  const cpArgs = ['control-plane', '--config-dir', config, '--identity-dir', identity];
  cpArgs.push('--listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0');
  const cp = await startWeft(root, tcp ? 'weft-control-plane-tcp' : 'weft-control-plane', loadCore, cpArgs);
  try {
    const cpPort = (await listening(cp, 30_000)).grpc;
    const common = [
      '--control-plane',
      `127.0.0.1:${cpPort}`,
      '--ca-file',
      join(identity, 'ca.crt'),
      ...LOCAL,
    ];
    const target = tcp ? tcpOriginPort : originPort;
    const serverArgs = [
      'proxy',
      '--namespace',
      'bench',
      '--service',
      'origin',
      '--service-account',
      'origin',
    ];
    serverArgs.push(
      '--token-file',
      token('origin'),
      '--inbound',
      `80=127.0.0.1:${target}`,
      '--mtls-mode',
      'strict',
      ...common,
    );
    const server = await startWeft(root, 'weft-sidecar-origin', core, serverArgs);
    procs.push(server);
    await listening(server, 30_000);
    const port = await freePort();
    const clientToken = token('client');
    const clientArgs = (listenPort) => [
      'proxy',
      '--namespace',
      'bench',
      '--service',
      'client',
      '--service-account',
      'client',
      '--token-file',
      clientToken,
      '--upstream',
      `origin.bench.svc.cluster.local:80=127.0.0.1:${listenPort}`,
      ...common,
    ];
    // exec -> ready, with the control plane on loopback: the same client sidecar (upstream on
    // a kernel-picked port) started and stopped `readyStarts` times before the measured one.
    let readiness;
    if (!tcp && readyStarts > 0) {
      const starts = [];
      for (let i = 0; i < readyStarts; i++) {
        starts.push(await timeReady(root, 'weft-sidecar-ready', core, clientArgs(0)));
      }
      readiness = summarizeReadiness(starts);
    }
    const client = await startWeft(root, 'weft-sidecar-client', core, clientArgs(port), { traceGc: !tcp });
    procs.unshift(client);
    await listening(client, 30_000);
    if (tcp) await untilTcpFlows(port, client, loadCore);
    else await until200(port, client);
    // Only the sidecars are measured; the control plane is stopped with them.
    const result = { procs, cleanup: () => stop(cp), gcProc: tcp ? undefined : client, readiness };
    return tcp ? { port, ...result } : { url: `http://127.0.0.1:${port}/`, ...result };
  } catch (err) {
    for (const proc of procs) await stop(proc);
    await stop(cp);
    throw err;
  }
}
