// Child processes for the proxy benchmark: pinned to a core with taskset, tracked by PID,
// waited for on their port, measured through /proc, and stopped by PID.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

const CLK_TCK = 100; // USER_HZ on Linux
const PAGE_KB = 4;

/** Every process the benchmark started and has not yet seen exit, by PID. */
const running = new Map();

/** The nice value for every pinned process (0 = unchanged; negative needs root). */
let niceness = 0;

/** Sets the nice value of the processes started from now on (the `--nice` flag). */
export function setNiceness(value) {
  niceness = value;
}

/**
 * Starts `command args` pinned to `core` (setsid, sh, taskset and nice all exec, so the PID is the program's).
 * Output is kept (last 8 KiB) for error messages.
 */
export function startPinned(name, core, command, args, options = {}) {
  const pinned = ['taskset', '-c', String(core), command, ...args];
  // With scheduler autogroups (the default), nice only ranks processes of one session:
  // a niced child gets its own session and sets that session's autogroup nice itself
  // (after setsid, so the benchmark's own session is untouched), then execs.
  const argv =
    niceness === 0
      ? pinned
      : [
          'setsid',
          'sh',
          '-c',
          `echo ${niceness} > /proc/self/autogroup 2>/dev/null; exec nice -n ${niceness} "$@"`,
          'sh',
          ...pinned,
        ];
  const child = spawn(argv[0], argv.slice(1), {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: options.env ?? process.env,
    cwd: options.cwd,
  });
  const proc = { name, child, pid: child.pid, output: '', exited: false, exitCode: null };
  const keep = (chunk) => {
    proc.output = (proc.output + chunk.toString()).slice(-8192);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  proc.done = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      proc.exited = true;
      proc.exitCode = code ?? signal;
      running.delete(proc.pid);
      resolve();
    });
    child.on('error', (err) => {
      proc.exited = true;
      proc.exitCode = err.message;
      running.delete(proc.pid);
      resolve();
    });
  });
  running.set(proc.pid, proc);
  return proc;
}

/** Runs a pinned command to completion and returns its stdout (throws on non-zero exit). */
export async function runPinned(name, core, command, args, timeoutMs) {
  const proc = startPinned(name, core, command, args);
  const timer = setTimeout(() => stop(proc), timeoutMs);
  await proc.done;
  clearTimeout(timer);
  if (proc.exitCode !== 0) throw new Error(`${name} failed (exit ${proc.exitCode}): ${proc.output.trim()}`);
  return proc.output;
}

/** A free loopback TCP port (bind to 0, read, close). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Waits (bounded) until 127.0.0.1:port accepts a connection, or `proc` exits. */
export async function waitForPort(proc, port, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc?.exited)
      throw new Error(`${proc.name} exited (${proc.exitCode}) before listening: ${proc.output.trim()}`);
    const ok = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`${proc?.name ?? 'process'} did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`);
}

/** The PID and all of its descendants (nginx master + worker). */
function tree(pid) {
  const children = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(entry));
    } catch {
      // the process went away while we listed
    }
  }
  const out = [];
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift();
    out.push(p);
    queue.push(...(children.get(p) ?? []));
  }
  return out;
}

/** Each of `roots` with its descendants, listed once (call before sampling, not per tick). */
export function withDescendants(roots) {
  return roots.map((root) => tree(root));
}

/** CPU seconds (user + system) and RSS (MB) summed over `groups` (from withDescendants). */
export function sample(groups) {
  let ticks = 0;
  let rssKb = 0;
  for (const group of groups) {
    for (const pid of group) {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        ticks += Number(fields[11]) + Number(fields[12]); // utime, stime
        rssKb += Number(fields[21]) * PAGE_KB; // rss in pages
      } catch {
        // exited
      }
    }
  }
  return { cpuSeconds: ticks / CLK_TCK, rssMb: rssKb / 1024 };
}

/** Stops one process by PID: SIGTERM, then SIGKILL after a grace period. */
export async function stop(proc, graceMs = 3000) {
  if (proc.exited) return;
  try {
    process.kill(proc.pid, 'SIGTERM');
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    if (!proc.exited) {
      try {
        process.kill(proc.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }, graceMs);
  await proc.done;
  clearTimeout(timer);
}

/** Stops everything still running (on exit or error). */
export async function stopAll() {
  await Promise.all([...running.values()].map((proc) => stop(proc)));
}

/** Synchronous last resort for process 'exit': SIGKILL each PID we started and its descendants. */
export function killAllSync() {
  for (const root of running.keys()) {
    for (const pid of tree(root).reverse()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

/** Per-core [busy, total] jiffies from /proc/stat (busy = everything but idle and iowait). */
export function coreTimes() {
  const out = [];
  for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
    const m = /^cpu(\d+) (.*)$/.exec(line);
    if (!m) continue;
    const v = m[2].trim().split(/\s+/).map(Number);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    out[Number(m[1])] = [total - v[3] - v[4], total];
  }
  return out;
}

/** The busy share of each core between two coreTimes() readings. */
export function coreBusy(before, after) {
  return after.map(([busy, total], i) => (busy - before[i][0]) / Math.max(1, total - before[i][1]));
}
