/**
 * The issue-13 crash loop, end to end with real processes in local mode: `weft control-plane`
 * over a folder, two replicas of `api` (each a backend app behind its own `weft proxy`, on the
 * distinct loopback addresses 127.0.0.2 and 127.0.0.3) and a client `weft proxy`. At 300 req/s
 * for 60 s (18,000 requests), 5 backend apps are SIGKILLed (and restarted 2 s later) and the
 * control plane is SIGKILLed 3 times (and restarted at once). Under 0.1% (< 18) may fail.
 *
 * What keeps the loss down, each fixed in issue 13: the replicas are two endpoints (#5); panic
 * mode reaches a replica still ejected from an earlier kill when the other dies (#8); after a
 * control-plane restart the client keeps its endpoints through reconnect grace and registrations
 * return within a fraction of a second (#7); during that grace a replica that has not
 * re-registered yet is kept beside the one that has (else, 6 s later, the only endpoint left was
 * the replica whose app had just been killed: ~1 s of 3-attempt 503s, 212-289 lost); retries
 * (5xx, reset, connect-failure) cover requests caught by a kill, and a retry goes to an endpoint
 * the request has not tried, an ejected one included (Envoy's previous_hosts). The schedule is
 * driven by the request count, not by clocks.
 */
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  type ControlPlaneProcess,
  createMeshFolder,
  type MeshFolder,
  stopControlPlane,
} from './proxy-support/control-plane.js';
import { type ProxyProcess, startProxy } from './proxy-support/processes.js';
import { type Backend, closeAgent, send, startBackend } from './traffic-harness.js';

const API = 'api.default.svc.cluster.local:80';
// 60 s of open-loop load paced by the wall clock (68-81 s with setup on the shared 2-core
// machine), with kills whose effect depends on how fast processes restart under that load. Its
// misses are bursts (one mechanism loses 200-300 requests at once), so the evidence is per run:
// 0/18,000 in each of the runs after the fixes, too few runs to bound a flake rate for
// `npm test`. It runs only with WEFT_CRASH_LOOP=1 (see the crashloop branch report).
const enabled = process.env.WEFT_CRASH_LOOP === '1';
if (!enabled) process.stderr.write('crash-loop e2e skipped: set WEFT_CRASH_LOOP=1 to run it (60 s)\n');
const RATE = 300;
const TOTAL = RATE * 60;
const MANIFESTS = {
  'api.yaml': `apiVersion: v1
kind: Service
metadata: {name: api, namespace: default}
spec:
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: weft.dev/v1alpha1
kind: TrafficPolicy
metadata: {name: api, namespace: default}
spec:
  targetRef: {kind: Service, name: api}
  retry:
    attempts: 3
    on: [connect-failure, reset, 5xx]
    backoff: {base: 10ms, max: 50ms}
    budget: {ratio: 1, minPerSecond: 300, ttl: 10s}
  outlierDetection: {consecutiveFailures: 5, baseEjectionTime: 30s, maxEjectionPercent: 50}
`,
};

let mesh: MeshFolder;
let cp: ControlPlaneProcess | undefined;
const apps: Backend[] = [];
const proxies: ProxyProcess[] = [];
let client: ProxyProcess;

async function startReplica(i: number, port = 0): Promise<Backend> {
  const app = await startBackend({ name: `api-${i}`, port });
  apps[i] = app;
  return app;
}

beforeAll(async () => {
  if (!enabled) return;
  mesh = await createMeshFolder(MANIFESTS, ['api', 'client']);
  cp = await mesh.start(await portBelowEphemeralRange());
  for (const i of [0, 1]) {
    const app = await startReplica(i);
    proxies.push(
      await startProxy([
        ...mesh.proxyFlags('api', cp.grpc),
        '--workload',
        `api-${i}`,
        '--listen-host',
        `127.0.0.${i + 2}`,
        '--inbound',
        `8080=127.0.0.1:${app.port}`,
      ]),
    );
  }
  client = await startProxy([...mesh.proxyFlags('client', cp.grpc), '--upstream', `${API}=127.0.0.1:0`]);
}, 120_000);

afterAll(async () => {
  await client?.stop();
  for (const p of proxies) await p.stop();
  for (const a of apps) await a?.stop();
  await stopControlPlane(cp, 'SIGTERM');
  closeAgent();
  mesh?.cleanup();
});

/**
 * A free port below Linux's ephemeral range (32768+), so that no outgoing connection of the
 * thousands this test makes can hold it when the control plane restarts on it.
 */
async function portBelowEphemeralRange(): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const server = createServer();
    const ok = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (ok) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      return port;
    }
  }
  throw new Error('no free port in 20000-32000');
}

/** SIGKILLs exactly this child and waits for it to be gone. */
async function kill(
  child: {
    exitCode: number | null;
    signalCode: string | null;
    kill(s: string): boolean;
  } & NodeJS.EventEmitter,
) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

/** Failures by second of the loop ("31s: 289"), to place them against the kill schedule. */
function lossBySecond(failures: readonly string[]): string {
  const counts = new Map<number, number>();
  for (const f of failures) {
    const second = Math.floor(Number(f.slice(0, f.indexOf(':'))) / RATE);
    counts.set(second, (counts.get(second) ?? 0) + 1);
  }
  return [...counts].map(([s, n]) => `${s}s: ${n}`).join(', ');
}

/** Failures by the replica whose app refused the last attempt (the port in the 503 body). */
function failedOn(failures: readonly string[]): string {
  const names = new Map(apps.map((a) => [String(a.port), a.name]));
  const counts: Record<string, number> = {};
  for (const f of failures) {
    const port = /127\.0\.0\.1:(\d+) failed/.exec(f)?.[1];
    const name = port === undefined ? 'other' : (names.get(port) ?? `port ${port}`);
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return `failed on: ${JSON.stringify(counts)}`;
}

/** Kill schedule by request index: [at, action]. */
function schedule(): Map<number, () => Promise<void>> {
  const plan = new Map<number, () => Promise<void>>();
  const killApp = (i: number, at: number) => {
    let port = 0;
    plan.set(at, async () => {
      port = apps[i]!.port;
      await kill(apps[i]!.child);
    });
    plan.set(at + 2 * RATE, async () => {
      await startReplica(i, port);
    });
  };
  const killControlPlane = (at: number) => {
    plan.set(at, async () => {
      const grpc = cp!.grpc;
      await kill(cp!.child);
      cp = await mesh.start(grpc);
    });
  };
  killApp(0, 6 * RATE);
  killControlPlane(12 * RATE);
  killApp(1, 18 * RATE); // api-0 is likely still ejected: panic mode must reach it
  killControlPlane(24 * RATE);
  killApp(0, 30 * RATE);
  killApp(1, 42 * RATE);
  killControlPlane(48 * RATE);
  killApp(0, 54 * RATE);
  return plan;
}

it.runIf(enabled)(
  'loses under 0.1% of 18,000 requests at 300 req/s through 5 backend and 3 control-plane kills',
  {
    timeout: 300_000,
  },
  async () => {
    const port = client.ports.upstreams[API] as number;
    // Both replicas serve before the loop starts (two endpoints on distinct addresses).
    const seen = new Set<string>();
    for (let i = 0; i < 400 && seen.size < 2; i++) {
      const r = await send({ port });
      if (r.status === 200) seen.add(r.body);
    }
    expect([...seen].sort()).toEqual(['api-0', 'api-1']);

    const plan = schedule();
    const failures: string[] = [];
    const byBackend: Record<string, number> = {};
    const inflight = new Set<Promise<void>>();
    const actionErrors: string[] = [];
    const actions: Promise<void>[] = [];
    const started = performance.now();
    for (let i = 0; i < TOTAL; i++) {
      // Kills and restarts run beside the load, so requests keep their rate while a process is
      // down (awaiting them sent the requests due meanwhile in one burst, all on the dying replica).
      const action = plan.get(i);
      if (action !== undefined)
        actions.push(action().catch((err: unknown) => void actionErrors.push(String(err))));
      // Open loop: request i is due at i / RATE seconds.
      const wait = started + (i * 1000) / RATE - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      const p = send({ port }).then((r) => {
        if (r.status === 200) byBackend[r.body] = (byBackend[r.body] ?? 0) + 1;
        else failures.push(`${i}: ${r.status} ${r.body.slice(0, 120)}`);
      });
      inflight.add(p);
      void p.finally(() => inflight.delete(p));
    }
    await Promise.all(inflight);
    await Promise.all(actions);
    expect(actionErrors).toEqual([]);
    const lossRate = failures.length / TOTAL;
    const metrics = (await send({ port: client.ports.admin, path: '/metrics' })).body
      .split('\n')
      .filter((l) =>
        /^weft_proxy_(balancer_panics|outlier_ejections|outlier_ejections_skipped|retries|retry_stops|upstream_attempts)_total\{/.test(
          l,
        ),
      );
    writeFileSync(
      join(mesh.dir, 'crash-loop-result.json'),
      JSON.stringify({ failures: failures.length, lossRate, byBackend }),
    );
    process.stderr.write(
      `crash loop: ${failures.length}/${TOTAL} failed (${(lossRate * 100).toFixed(3)}%) in ${Math.round(performance.now() - started)} ms, by replica ${JSON.stringify(byBackend)}\n${metrics.join('\n')}\n${failures.slice(0, 20).join('\n')}\n${lossBySecond(failures)}\n${failedOn(failures)}\n`,
    );
    expect(failures.length, failures.slice(0, 20).join('\n')).toBeLessThan(TOTAL / 1000);
    // Both replicas carried traffic through the loop.
    expect(byBackend['api-0']).toBeGreaterThan(TOTAL / 10);
    expect(byBackend['api-1']).toBeGreaterThan(TOTAL / 10);
  },
);
