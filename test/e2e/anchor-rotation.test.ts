/**
 * Trust-anchor rotation under traffic, with real processes and no fakes: `weft control-plane`
 * (20-second workload certificates, identity folder checked every second), proxy B in front of
 * an app, proxy A carrying a continuous stream of requests to B over mTLS. The three steps of
 * `weft identity rotate-anchor` run as the CLI runs them (each refused until the mesh is ready
 * for it, so the test retries it); `weft check` reports the step at each stage; not one request
 * fails.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { certificateFingerprint, pemToDers } from '@weft/pki';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  type ControlPlaneProcess,
  createMeshFolder,
  type MeshFolder,
  stopControlPlane,
} from './proxy-support/control-plane.js';
import { type ProxyProcess, startProxy, WEFT_BIN } from './proxy-support/processes.js';

const run = promisify(execFile);
const AUTHORITY = 'b.default.svc.cluster.local:80';

let mesh: MeshFolder;
let controlPlane: ControlPlaneProcess | undefined;
let app: http.Server;
let a: ProxyProcess | undefined;
let b: ProxyProcess | undefined;

beforeAll(async () => {
  mesh = await createMeshFolder(
    {
      'b.yaml':
        'apiVersion: v1\nkind: Service\nmetadata: {name: b, namespace: default}\nspec:\n  ports: [{name: http, port: 80, targetPort: 8080}]\n',
    },
    ['a', 'b'],
  );
  app = http.createServer((_req, res) => res.end('hello from b'));
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  controlPlane = await mesh.start(0, ['--workload-cert-ttl', '20s', '--identity-reload', '1s']);
  b = await startProxy(mesh.proxyFlags('b', controlPlane.grpc), {
    WEFT_INBOUND: `80=127.0.0.1:${(app.address() as AddressInfo).port}`,
  });
  a = await startProxy([
    ...mesh.proxyFlags('a', controlPlane.grpc),
    '--upstream',
    `${AUTHORITY}=127.0.0.1:0`,
  ]);
}, 120_000);

afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await stopControlPlane(controlPlane, 'SIGTERM');
  app?.close();
  mesh?.cleanup();
});

function get(port: number, agent: http.Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/hello', agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      })
      .on('error', reject);
  });
}

/** Runs the weft CLI; resolves with its exit code and output (never rejects on a non-zero exit). */
async function weft(...args: string[]): Promise<{ code: number; stdout: string; out: string }> {
  try {
    const r = await run(process.execPath, [WEFT_BIN, ...args], { timeout: 30_000 });
    return { code: 0, stdout: r.stdout, out: r.stdout + r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof e.code === 'number' ? e.code : 1,
      stdout: e.stdout ?? '',
      out: `${e.stdout ?? ''}${e.stderr ?? ''}`,
    };
  }
}

interface Report {
  step: string;
  anchors: { fingerprint: string }[];
  issuer: { fingerprint: string };
  proxies: { connected: number; withBundle: number; withCurrentIssuer: number };
}

async function report(): Promise<Report> {
  const res = await fetch(`http://127.0.0.1:${controlPlane?.admin}/debug/identity`);
  return (await res.json()) as Report;
}

/** `weft check` against the control plane: the rotation line and its hint. */
async function checkStep(): Promise<string> {
  const r = await weft(
    'check',
    '--control-plane-admin',
    `http://127.0.0.1:${controlPlane?.admin}`,
    '-o',
    'json',
  );
  const { checks } = JSON.parse(r.stdout) as {
    checks: { name: string; status: string; detail?: string; hint?: string }[];
  };
  const rotation = checks.find((x) => x.name === 'trust-anchor rotation');
  return `${rotation?.status}: ${rotation?.detail ?? ''} ${rotation?.hint ?? ''}`;
}

/** Runs one rotation step, retrying while the CLI refuses it because the mesh is not ready yet. */
async function rotate(step: string): Promise<string> {
  let last = '';
  await expect
    .poll(
      async () => {
        const r = await weft(
          'identity',
          'rotate-anchor',
          '--identity-dir',
          join(mesh.dir, 'identity'),
          '--admin',
          `http://127.0.0.1:${controlPlane?.admin}`,
          '--step',
          step,
        );
        last = r.out;
        return r.code;
      },
      { timeout: 60_000, interval: 1000 },
    )
    .toBe(0);
  return last;
}

it('rotates the trust anchor in three steps under traffic with no failed request', async () => {
  const upstream = a?.ports.upstreams[AUTHORITY] as number;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  await expect
    .poll(async () => get(upstream, agent).catch(() => 0), { timeout: 30_000, interval: 200 })
    .toBe(200);

  // Continuous traffic: four concurrent request loops through A -> mTLS -> B until told to stop.
  let stop = false;
  let ok = 0;
  const failures: string[] = [];
  const loops = Array.from({ length: 4 }, async () => {
    while (!stop) {
      try {
        const status = await get(upstream, agent);
        if (status === 200) ok++;
        else failures.push(`HTTP ${status}`);
      } catch (err) {
        failures.push(String(err));
      }
    }
  });

  const steps: Record<string, string> = {};
  try {
    const identity = join(mesh.dir, 'identity');
    const oldAnchor = certificateFingerprint(
      pemToDers(readFileSync(join(identity, 'ca.crt'), 'utf8'), 'CERTIFICATE')[0]!,
    );
    steps.before = await checkStep();
    expect(steps.before).toContain('ok: no rotation in progress');

    // Step 1: the new anchor joins the bundle; both proxies renew and report it.
    await rotate('add-anchor');
    await expect.poll(async () => (await report()).step, { timeout: 20_000 }).toBe('anchor-added');
    await expect.poll(async () => (await report()).proxies.withBundle, { timeout: 30_000 }).toBe(2);
    steps.anchorAdded = await checkStep();
    expect(steps.anchorAdded).toContain('step 1 of 3 done');

    // Step 2: refused until every proxy holds the new bundle (it does now); proxies then renew
    // from the new issuer.
    await rotate('switch-issuer');
    await expect.poll(async () => (await report()).step, { timeout: 20_000 }).toBe('issuer-switched');
    await expect.poll(async () => (await report()).proxies.withCurrentIssuer, { timeout: 30_000 }).toBe(2);
    steps.issuerSwitched = await checkStep();
    expect(steps.issuerSwitched).toContain('step 2 of 3 done');

    // Step 3: the old anchor leaves; proxies renew to the one-anchor bundle.
    await rotate('remove-old-anchor');
    await expect.poll(async () => (await report()).step, { timeout: 20_000 }).toBe('steady');
    await expect.poll(async () => (await report()).proxies.withBundle, { timeout: 30_000 }).toBe(2);
    const final = await report();
    expect(final.anchors.map((x) => x.fingerprint)).not.toContain(oldAnchor);
    steps.after = await checkStep();
    expect(steps.after).toContain('ok: no rotation in progress');

    // Traffic still flows once everything holds only the new anchor and issuer.
    const before = ok;
    await expect.poll(() => ok, { timeout: 10_000 }).toBeGreaterThan(before + 10);
  } finally {
    stop = true;
    await Promise.all(loops);
    agent.destroy();
  }
  expect(failures).toEqual([]);
  expect(ok).toBeGreaterThan(100);
  // The report at each stage, for the record of the run.
  console.log(JSON.stringify({ requests: ok, failures: failures.length, steps }, null, 2));
}, 240_000);
