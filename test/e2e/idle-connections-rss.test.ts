/**
 * Issue 12, defect 5: 5,000 idle connections to a sidecar listener (the server sidecar's
 * inbound port and the client sidecar's upstream listener, real `weft proxy` processes started
 * with the sidecars' NODE_OPTIONS) are carried and closed, and the proxy's RSS comes back to
 * within 20 MB of the same process freshly started and idle. Measurements: docs/proxy-transport.md
 * ("Memory after a connection storm"); ~15 s per listener.
 */
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sidecarNodeOptions } from '@weft/core';
import { createTestCa, type RecordingApp, startRecordingApp } from '@weft/proxy/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProxyProcess, startProxy } from './proxy-support/processes.js';

const CONNECTIONS = 5_000;
const BATCH = 250;
const MB = 1024 * 1024;
/** Issue 12: no listener's RSS stays more than 20 MB above a freshly started, idle process. */
const BOUND = 20 * MB;
const DETECT_MS = 200;
/**
 * The V8 flags the injector and `weft up` start sidecars with (a small young generation). The
 * compiled modules, not the bundle: the bundle starts ~9 MB smaller (fewer modules compiled)
 * and comes back to the same ~70 MB after a storm (heap and allocator arenas), so against its
 * smaller fresh RSS the same process measures 15-19 MB over, too near the bound to be a
 * deterministic check of the reclaim this test is about.
 */
const ENV = { NODE_OPTIONS: sidecarNodeOptions(), WEFT_PROXY_BUNDLE: '0' };

let dir: string;
let app: RecordingApp;
const procs: ProxyProcess[] = [];

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) * 1024;
}

/**
 * One scrape per connection (no keep-alive socket kept across a storm round). A scrape that
 * fails names the metric and port: CI once saw "socket hang up" here, when spliced relays held
 * four fds per connection and the proxy's accept on its admin port failed with EMFILE.
 */
function gauge(port: number, name: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/metrics', agent: false }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => {
          text += d.toString();
        });
        res.on('end', () => {
          const m = new RegExp(`^${name} (\\d+)`, 'm').exec(text);
          resolve(m === null ? 0 : Number(m[1]));
        });
      })
      .on('error', reject);
  });
}

/**
 * Polls `ok()` (a metric or a count, never a fixed sleep) every 50 ms until it holds; throws
 * `what` plus `explain()` once `deadlineMs` has passed.
 */
async function until(
  ok: () => boolean | Promise<boolean>,
  what: string,
  deadlineMs = 120_000,
  explain: () => string = () => '',
): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`gave up after ${deadlineMs} ms waiting for ${what}${explain()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Opens `n` idle connections to `port` in batches, each batch awaiting its connects. */
async function openIdle(port: number, n: number): Promise<Socket[]> {
  const out: Socket[] = [];
  for (let i = 0; i < n; i += BATCH) {
    const batch: Promise<void>[] = [];
    for (let j = i; j < Math.min(n, i + BATCH); j++) {
      const s = connect(port, '127.0.0.1');
      s.on('error', () => {});
      out.push(s);
      batch.push(once(s, 'connect').then(() => {}));
    }
    await Promise.all(batch);
  }
  return out;
}

/**
 * One round: open `n` idle connections, wait until the proxy relayed each to the app (after
 * its detection timeout), close them, and wait until the proxy holds no connection.
 */
async function round(proc: ProxyProcess, port: number, n: number): Promise<number> {
  const before = app.connections.length;
  const sockets = await openIdle(port, n);
  await until(() => app.connections.length >= before + n, `${n} relayed connections`);
  const peak = rssOf(proc.child.pid!);
  for (const s of sockets) s.destroy();
  await until(
    async () => (await gauge(proc.ports.admin, 'weft_proxy_open_connections')) === 0,
    'the proxy to close every connection',
  );
  return peak;
}

interface Snapshot {
  readonly rss: number;
  readonly anon: number;
  readonly heapTotal: number;
  readonly heapUsed: number;
  readonly external: number;
}

/** RSS and anonymous memory from /proc, V8 heap and external memory from the proxy's /metrics. */
async function snapshot(proc: ProxyProcess): Promise<Snapshot> {
  const admin = proc.ports.admin;
  const [heapTotal, heapUsed, external] = [
    await gauge(admin, 'nodejs_heap_size_total_bytes'),
    await gauge(admin, 'nodejs_heap_size_used_bytes'),
    await gauge(admin, 'nodejs_external_memory_bytes'),
  ];
  const rollup = readFileSync(`/proc/${proc.child.pid}/smaps_rollup`, 'utf8');
  const anon = Number(/^Anonymous:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0) * 1024;
  return { rss: rssOf(proc.child.pid!), anon, heapTotal, heapUsed, external };
}

function describeSnapshot(s: Snapshot): string {
  const mb = (n: number) => (n / MB).toFixed(1);
  const native = s.rss - s.heapTotal - s.external;
  return `rss ${mb(s.rss)} (anon ${mb(s.anon)}, V8 heap ${mb(s.heapTotal)} used ${mb(s.heapUsed)}, external ${mb(s.external)}, rest ${mb(native)}) MB`;
}

/**
 * Each storm holds 10,000 sockets in this process and 10,000 in the proxy (which inherits the
 * limit): two fds per relayed connection, spliced or copied (splice-relay.test.ts checks it).
 */
const NEEDED_FDS = 2 * CONNECTIONS + 2_000;
const fdLimit = Number(
  /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1] ?? 0,
);
const fdReason = `open-file limit ${fdLimit} < ${NEEDED_FDS} (raise it: ulimit -n; .ci/run does)`;
const enoughFds = Number.isNaN(fdLimit) || fdLimit >= NEEDED_FDS;
if (!enoughFds) process.stderr.write(`idle-connections-rss: SKIP, ${fdReason}\n`);

describe.skipIf(!enoughFds)(
  `RSS after 5,000 idle connections${enoughFds ? '' : ` (SKIP: ${fdReason})`}`,
  () => {
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'weft-rss-'));
      const ca = createTestCa();
      const write = (name: string, id: string) => {
        const m = ca.issue(id);
        writeFileSync(join(dir, `${name}.crt`), m.certChain);
        writeFileSync(join(dir, `${name}.key`), m.key);
      };
      writeFileSync(join(dir, 'ca.crt'), ca.certPem);
      write('a', 'spiffe://cluster.local/ns/default/sa/a');
      write('b', 'spiffe://cluster.local/ns/default/sa/b');
      ca.cleanup();
      app = await startRecordingApp();
      const common = (name: string) => [
        ...['--namespace', 'default', '--service', name, '--listen-host', '127.0.0.1'],
        ...['--admin-host', '127.0.0.1', '--inbound-port', '0', '--outbound-port', '0', '--admin-port', '0'],
        ...['--detect-timeout', `${DETECT_MS}ms`, '--ca-file', join(dir, 'ca.crt')],
        ...['--cert-file', join(dir, `${name}.crt`), '--key-file', join(dir, `${name}.key`)],
      ];
      procs.push(await startProxy([...common('b'), '--inbound', `80=127.0.0.1:${app.port}`], ENV));
      procs.push(await startProxy([...common('a'), '--upstream', `127.0.0.1:${app.port}=127.0.0.1:0`], ENV));
    }, 60_000);

    afterAll(async () => {
      for (const p of procs) await p.stop();
      await app?.close();
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    });

    it.each([
      ['server sidecar inbound', 0],
      ['client sidecar upstream listener', 1],
    ] as const)(
      '%s returns to within 20 MB of a fresh process',
      async (what, index) => {
        const proc = procs[index]!;
        const port = index === 0 ? proc.ports.inbound : Object.values(proc.ports.upstreams)[0]!;
        const reclaims = () => gauge(proc.ports.admin, 'weft_proxy_memory_reclaims_total');
        const fresh = await snapshot(proc);
        const seen = await reclaims();
        const peak = await round(proc, port, CONNECTIONS);
        await until(async () => (await reclaims()) > seen, 'the memory reclaim after the storm');
        const reclaimed = await snapshot(proc);
        let after = reclaimed;
        const report = () =>
          `\n${what}: peak ${(peak / MB).toFixed(1)} MB\n  fresh     ${describeSnapshot(fresh)}\n` +
          `  reclaimed ${describeSnapshot(reclaimed)}\n  after     ${describeSnapshot(after)}\n` +
          `  over fresh ${((after.rss - fresh.rss) / MB).toFixed(1)} MB (bound ${BOUND / MB} MB)\n`;
        // V8 unmaps freed pages on a background thread: RSS may need a moment after the GC.
        await until(
          async () => {
            after = await snapshot(proc);
            return after.rss - fresh.rss < BOUND;
          },
          'RSS to come back within the bound',
          30_000,
          report,
        );
        process.stderr.write(report());
        expect(after.rss - fresh.rss).toBeLessThan(BOUND);
        expect(proc.child.exitCode).toBeNull();
      },
      180_000,
    );
  },
);
