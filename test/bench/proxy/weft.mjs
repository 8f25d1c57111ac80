// weft under test, through its real CLI (packages/cli/bin/weft.js over the built dist/):
// one outbound-only proxy (no control plane: the origin is outside the mesh, so traffic
// passes through in plaintext), or the full path (control plane + two sidecars, mTLS).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, startPinned, waitForPort } from './processes.mjs';

function weftBin(root) {
  return join(root, 'packages', 'cli', 'bin', 'weft.js');
}

function help(root, args) {
  const result = spawnSync(process.execPath, [weftBin(root), ...args, '--help'], {
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
        if (event.event === 'listening') return event;
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

/** Where `--cpu-prof DIR` asked for V8 CPU profiles of the weft processes (undefined: none). */
let profileDir;

/** Sets the folder for `node --cpu-prof` profiles of every weft process started from now on. */
export function setWeftProfileDir(dir) {
  profileDir = dir;
}

function startWeft(root, name, core, args) {
  // warn keeps the run quiet (info logs per event, never per request, but still noise).
  const env = { ...process.env, WEFT_LOG_LEVEL: process.env.WEFT_LOG_LEVEL ?? 'warn' };
  const node =
    profileDir === undefined
      ? []
      : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${name}-${Date.now()}.cpuprofile`];
  return startPinned(name, core, process.execPath, [...node, weftBin(root), ...args], { env });
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
  const proc = startWeft(root, tcp ? 'weft-outbound-tcp' : 'weft-outbound', core, ['proxy', ...args]);
  await listening(proc);
  await waitForPort(proc, port);
  return tcp ? { port, procs: [proc] } : { url: `http://127.0.0.1:${port}/`, procs: [proc] };
}

/** Control plane + two weft proxies, mTLS between them. */
export async function startWeftMesh() {
  throw new Error('weft mesh row: not wired yet');
}
