#!/usr/bin/env node
// Development measurement for docs/proxy-transport.md ("weft.2"): TLS records, TCP reads and
// CPU per request between two sidecars, at 1 and 64 concurrent, weft.1 against weft.2.
//
//   nice -n 10 node test/bench/transport/records.mjs            (after `npx tsc -b`)
//   MODES=weft1,weft2 CONCURRENCY=1,64 SECONDS=3 STRACE=1 ...   (STRACE=1: `strace -c` on both sidecars)
//   BODY_KB=1024 ...  (origin response size); PROF_DIR=/tmp/p ... (--cpu-prof of both sidecars)
//   MODES=weft1-onread ... after `git apply test/bench/transport/onread-experiment.patch && npx tsc -b`
//
// Layout: wrk -> sidecar A (upstream listener) -> counting relay -> sidecar B (inbound) -> origin.
// The relay parses TLS record headers in each direction and counts records and reads; with a
// relay reading as fast as it can, a read is at least one write of the sender. CPU per request is
// user + system time of each sidecar process (/proc/PID/stat) over the requests wrk completed.
// Not a test, not the benchmark of record (`npm run bench:proxy`).
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeMtlsCerts } from '../proxy/certs.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const SECONDS = Number(process.env.SECONDS ?? 3);
const MODES = (process.env.MODES ?? 'weft1,weft2').split(',');
const CONCURRENCY = (process.env.CONCURRENCY ?? '1,64').split(',').map(Number);
const STRACE = process.env.STRACE === '1';
const TICK = 100; // clock ticks per second (/proc/PID/stat)
const children = [];

function start(script, args, env = {}) {
  // PROF_DIR=/tmp/x: CPU profiles of the sidecars (written when they exit).
  const prof =
    process.env.PROF_DIR && script === 'sidecar.mjs'
      ? ['--cpu-prof', `--cpu-prof-dir=${process.env.PROF_DIR}`]
      : [];
  const proc = spawn(process.execPath, [...prof, join(here, script), ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(proc);
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /ready (\d+)/.exec(out);
      if (m) resolve({ proc, port: Number(m[1]) });
    });
    proc.once('exit', (code) => reject(new Error(`${script} exited ${code}`)));
  });
}

function cpuTicks(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime
}

/** A TCP relay that counts TLS records and reads per direction. */
function countingRelay(targetPort) {
  const counts = { up: { records: 0, reads: 0, bytes: 0 }, down: { records: 0, reads: 0, bytes: 0 } };
  const server = createServer({ noDelay: true }, (client) => {
    const upstream = connect({ port: targetPort, host: '127.0.0.1', noDelay: true });
    const count = (c) => {
      let need = 0; // bytes left of the current record's body
      let head = Buffer.alloc(0);
      return (chunk) => {
        c.reads++;
        c.bytes += chunk.length;
        let at = 0;
        while (at < chunk.length) {
          if (need > 0) {
            const n = Math.min(need, chunk.length - at);
            need -= n;
            at += n;
            continue;
          }
          const take = chunk.subarray(at, at + 5 - head.length);
          head = Buffer.concat([head, take]);
          at += take.length;
          if (head.length < 5) break;
          c.records++;
          need = head.readUInt16BE(3);
          head = Buffer.alloc(0);
        }
      };
    };
    const up = count(counts.up);
    const down = count(counts.down);
    client.on('data', (d) => {
      up(d);
      upstream.write(d);
    });
    upstream.on('data', (d) => {
      down(d);
      client.write(d);
    });
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, counts, port: server.address().port })),
  );
}

function run(command, args) {
  return new Promise((resolve, reject) => {
    execFile(command, args, { encoding: 'utf8' }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
  });
}

async function wrk(port, connections, seconds) {
  const out = await run('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, `http://127.0.0.1:${port}/`]);
  const m = /(\d+) requests in/.exec(out);
  const errors = /Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)/.exec(out);
  return { requests: Number(m?.[1] ?? 0), errors: errors?.[0] };
}

function straceStart(pid, file) {
  return spawn(
    'strace',
    ['-f', '-c', '-o', file, '-e', 'trace=write,writev,sendmsg,read,recvfrom', '-p', String(pid)],
    {
      stdio: 'ignore',
    },
  );
}

function straceCalls(file) {
  const calls = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)$/.exec(line);
    if (m) calls[m[2]] = Number(m[1]);
  }
  return calls;
}

async function measure(mode, ca, certs, originPort) {
  // weft1-onread needs onread-experiment.patch applied (a throwaway: static read buffer for weft.1 TLS).
  const env = { WEFT2: mode === 'weft2' ? '1' : '0', WEFT_EXP_ONREAD: mode === 'weft1-onread' ? '1' : '0' };
  const serverId = 'spiffe://cluster.local/ns/bench/sa/origin';
  const b = await start(
    'sidecar.mjs',
    [JSON.stringify({ role: 'b', pem: certs.server, ca, originPort })],
    env,
  );
  const relay = await countingRelay(b.port);
  const a = await start(
    'sidecar.mjs',
    [
      JSON.stringify({
        role: 'a',
        pem: certs.client,
        ca,
        peerId: serverId,
        peerPort: process.env.NORELAY === '1' ? b.port : relay.port,
      }),
    ],
    env,
  );
  // The relay runs in this process: every child runs asynchronously (never execFileSync).
  const check = await run('curl', [
    '-s',
    '-o',
    '/dev/null',
    '-w',
    '%{http_code}',
    `http://127.0.0.1:${a.port}/`,
  ]);
  if (check !== '200') throw new Error(`no 200 through the sidecars (${check})`);
  const rows = [];
  for (const c of CONCURRENCY) {
    await wrk(a.port, c, 1); // warm-up: pools, JIT
    const before = { a: cpuTicks(a.proc.pid), b: cpuTicks(b.proc.pid), ...snapshot(relay.counts) };
    const tmp = mkdtempSync(join(tmpdir(), 'weft-strace-'));
    const tracers = STRACE
      ? [straceStart(a.proc.pid, join(tmp, 'a')), straceStart(b.proc.pid, join(tmp, 'b'))]
      : [];
    if (STRACE) await new Promise((r) => setTimeout(r, 500));
    const r = await wrk(a.port, c, SECONDS);
    for (const t of tracers) t.kill('SIGINT');
    await Promise.all(tracers.map((t) => new Promise((res) => t.once('exit', res))));
    const after = { a: cpuTicks(a.proc.pid), b: cpuTicks(b.proc.pid), ...snapshot(relay.counts) };
    const per = (x) => Math.round((x / r.requests) * 100) / 100;
    const row = {
      mode,
      concurrency: c,
      requests: r.requests,
      rps: Math.round(r.requests / SECONDS),
      errors: r.errors,
      recordsUpPerReq: per(after.upRecords - before.upRecords),
      recordsDownPerReq: per(after.downRecords - before.downRecords),
      readsUpPerReq: per(after.upReads - before.upReads),
      readsDownPerReq: per(after.downReads - before.downReads),
      bytesPerReq: per(after.upBytes - before.upBytes + after.downBytes - before.downBytes),
      cpuUsPerReqA: Math.round(((after.a - before.a) / TICK / r.requests) * 1e6),
      cpuUsPerReqB: Math.round(((after.b - before.b) / TICK / r.requests) * 1e6),
    };
    if (STRACE) {
      const sa = straceCalls(join(tmp, 'a'));
      const sb = straceCalls(join(tmp, 'b'));
      const perReq = (calls) => Object.fromEntries(Object.entries(calls).map(([k, v]) => [k, per(v)]));
      row.syscallsPerReqA = perReq(sa);
      row.syscallsPerReqB = perReq(sb);
    }
    rmSync(tmp, { recursive: true, force: true });
    rows.push(row);
    console.log(JSON.stringify(row));
  }
  a.proc.kill('SIGTERM');
  b.proc.kill('SIGTERM');
  relay.server.close();
  return rows;
}

function snapshot(c) {
  return {
    upRecords: c.up.records,
    downRecords: c.down.records,
    upReads: c.up.reads,
    downReads: c.down.reads,
    upBytes: c.up.bytes,
    downBytes: c.down.bytes,
  };
}

const dir = mkdtempSync(join(tmpdir(), 'weft-records-'));
try {
  const certs = makeMtlsCerts(dir);
  const origin = await start('origin.mjs', []);
  for (const mode of MODES) await measure(mode, certs.ca, certs, origin.port);
} finally {
  for (const p of children) if (p.exitCode === null) p.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
