/**
 * `weft up --demo` end to end: the real binary starts a control plane, six proxies and the
 * ingress gateway as child processes; traffic crosses them over mTLS; the measured split follows
 * the 90/10 TrafficSplit; curl through the printed gateway port reaches web, which sees the
 * gateway's identity; SIGINT stops everything within 5 s and leaves no process behind.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../packages/cli/bin/weft.js', import.meta.url));

interface Ready {
  event: 'ready';
  proxies: { name: string; adminPort: number }[];
  gateway: { url: string; port: number; adminPort: number };
}
interface Stats {
  event: 'stats';
  /** Over the view's 10 s window. */
  split: Record<string, number>;
  /** Since the load started: what this test measures. */
  splitSinceStart: Record<string, number>;
  pids: number[];
  load: { ok: number; failed: number };
  /** One row per endpoint the control plane serves. */
  replicas: { service: string; endpoint: string; replica: string; requestsPerSecond?: number }[];
}

/** Enough responses that ±5 points is over 4 standard deviations of a 10% share (p < 1e-4). */
const WANT_RESPONSES = 600;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('weft up --demo', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'weft-demo-'));
  let child: ChildProcess;
  let ready: Ready;
  let last: Stats | undefined;
  let enough: Promise<Stats>;
  const stderr: string[] = [];

  beforeAll(async () => {
    child = spawn(
      process.execPath,
      [bin, 'up', '--demo', '--state-dir', stateDir, '--rate', '100', '-o', 'json'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child.stderr?.on('data', (c: Buffer) => stderr.push(c.toString()));
    const lines = createInterface({ input: child.stdout! });
    let onEnough: (s: Stats) => void = () => {};
    enough = new Promise((resolve) => {
      onEnough = resolve;
    });
    ready = await new Promise<Ready>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`weft up exited (${code}): ${stderr.join('')}`)));
      lines.on('line', (line) => {
        const msg = JSON.parse(line) as Ready | Stats;
        if (msg.event === 'ready') resolve(msg);
        if (msg.event === 'stats') {
          last = msg;
          const total = Object.values(msg.splitSinceStart).reduce((a, b) => a + b, 0);
          if (total >= WANT_RESPONSES) onEnough(msg);
        }
      });
    });
  }, 120_000);

  afterAll(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
    for (const pid of last?.pids ?? []) if (alive(pid)) process.kill(pid, 'SIGKILL');
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('splits api traffic 90/10 within 5 points', async () => {
    const stats = await enough;
    const total = Object.values(stats.splitSinceStart).reduce((a, b) => a + b, 0);
    const v2 = (stats.splitSinceStart['api-v2'] ?? 0) / total;
    expect(Object.keys(stats.splitSinceStart).sort()).toEqual(['api-v1', 'api-v2']);
    expect(Math.abs(v2 - 0.1)).toBeLessThanOrEqual(0.05);
  }, 120_000);

  it('serves both store replicas as distinct endpoints, and both take traffic', async () => {
    const stats = await enough;
    const store = stats.replicas.filter((r) => r.service === 'store');
    expect(store.map((r) => r.replica).sort()).toEqual(['store-1', 'store-2']);
    expect(new Set(store.map((r) => r.endpoint)).size).toBe(2);
    for (const r of store) expect(r.requestsPerSecond ?? 0).toBeGreaterThan(0);
  }, 120_000);

  it('carries traffic between proxies over mTLS with SPIFFE identities (from proxy metrics)', async () => {
    await enough;
    const apiV1 = ready.proxies.find((p) => p.name === 'proxy/api-v1');
    expect(apiV1).toBeDefined();
    const text = await (await fetch(`http://127.0.0.1:${apiV1!.adminPort}/metrics`)).text();
    const inbound = text
      .split('\n')
      .filter((l) => l.startsWith('weft_requests_total{') && l.includes('direction="inbound"'));
    const fromWeb = inbound.filter(
      (l) => l.includes('tls="true"') && l.includes('peer_identity="spiffe://cluster.local/ns/demo/sa/web"'),
    );
    expect(fromWeb.length).toBeGreaterThan(0);
    expect(fromWeb.reduce((s, l) => s + Number(l.split(' ').pop()), 0)).toBeGreaterThan(0);
    expect(inbound.filter((l) => l.includes('tls="false"') && !l.endsWith(' 0'))).toEqual([]);
  }, 120_000);

  it('lets curl through the printed gateway port reach web, which sees the gateway identity over mTLS', async () => {
    const printed =
      /gateway ready \(Gateway demo\/demo -> HTTPRoute demo\/web\): curl (http:\/\/127\.0\.0\.1:(\d+)\/)/.exec(
        stderr.join(''),
      );
    expect(printed?.[1]).toBe(ready.gateway.url);
    // curl from a shell, as the user would: a real HTTP client outside the mesh.
    const answer = await new Promise<{ status: string; body: string }>((resolve, reject) => {
      execFile(
        'curl',
        ['-sS', '--max-time', '20', '-w', '\\n%{http_code}', ready.gateway.url],
        (err, stdout, stderrText) => {
          if (err !== null) reject(new Error(`curl failed: ${stderrText}`));
          const lines = stdout.trimEnd().split('\n');
          resolve({ status: lines.pop() as string, body: lines.join('\n') });
        },
      );
    });
    expect(answer.status).toBe('200');
    const body = JSON.parse(answer.body) as { served_by: string; upstream_status: number };
    expect(body.served_by).toBe('web');
    expect(body.upstream_status).toBe(200);
    // web's proxy took it over mTLS from the gateway's own SPIFFE identity.
    const web = ready.proxies.find((p) => p.name === 'proxy/web');
    const text = await (await fetch(`http://127.0.0.1:${web!.adminPort}/metrics`)).text();
    const fromGateway = text
      .split('\n')
      .filter(
        (l) =>
          l.startsWith('weft_requests_total{') &&
          l.includes('direction="inbound"') &&
          l.includes('peer_identity="spiffe://cluster.local/ns/weft-system/sa/weft-gateway"') &&
          l.includes('tls="true"'),
      );
    expect(fromGateway.reduce((s, l) => s + Number(l.split(' ').pop()), 0)).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it('stops on SIGINT within 5 s, leaving no process behind', async () => {
    const pids = last?.pids ?? [];
    expect(pids.length).toBe(8); // the control plane, six proxies and the gateway
    const started = Date.now();
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    const code = await exited;
    expect(Date.now() - started).toBeLessThan(5000);
    expect(code).toBe(0);
    expect(pids.filter(alive)).toEqual([]);
  }, 30_000);
});
