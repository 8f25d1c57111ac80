// `weft check` in local mode: a real `weft control-plane` child with a real proxy connected, over
// an identity folder made with @weft/pki whose issuer expires within 30 days.

import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VERSION } from '@weft/cli';
import {
  type ControlPlaneChild,
  checkLocal,
  Supervisor,
  startControlPlane,
  startProxy,
} from '@weft/cli/testing';
import { ManualClock } from '@weft/core';
import { createIdentityMaterial, writeIdentityDir } from '@weft/pki';
import { silentLogger } from '@weft/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { weft } from './weft-check.js';

const DAY_MS = 86_400_000;
const log = silentLogger();
let root: string;
let identityDir: string;
let supervisor: Supervisor;
let controlPlane: ControlPlaneChild;
let admin: string;

/** Waits until the control plane lists `count` connected proxies (bounded; polls, no fixed sleep). */
async function untilProxies(count: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const state = (await (await fetch(`${admin}/debug/state`)).json()) as { proxies: unknown[] };
    if (state.proxies.length >= count) return;
    if (Date.now() > deadline) throw new Error(`only ${state.proxies.length} proxies connected`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A loopback port nothing listens on: bound to port 0, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'weft-check-local-'));
  identityDir = join(root, 'identity');
  const material = createIdentityMaterial({
    trustDomain: 'cluster.local',
    anchorValidityMs: 3650 * DAY_MS,
    issuerValidityMs: 10 * DAY_MS,
  });
  await writeIdentityDir(identityDir, material);
  mkdirSync(join(root, 'manifests'));
  supervisor = new Supervisor(log);
  controlPlane = await startControlPlane(
    supervisor,
    { configDir: join(root, 'manifests'), identityDir },
    log,
  );
  admin = `http://127.0.0.1:${controlPlane.adminPort}`;
  await startProxy(
    supervisor,
    { namespace: 'shop', service: 'web', serviceAccount: 'web', inbound: [], upstreams: [] },
    { controlPlane, identityDir, tokensDir: join(root, 'tokens') },
    log,
  );
  await untilProxies(1);
});

afterAll(async () => {
  await supervisor?.stopAll(5000);
  expect(supervisor?.pids ?? []).toEqual([]);
  rmSync(root, { recursive: true, force: true });
});

describe('weft check (local mode)', () => {
  it('starts the proxy with the sidecar V8 flags in NODE_OPTIONS (as the injector does)', () => {
    // Children in start order: the control plane, then the proxy.
    const proxyPid = supervisor.pids.at(-1)!;
    const environ = readFileSync(`/proc/${proxyPid}/environ`, 'utf8').split('\0');
    const options = environ.find((e) => e.startsWith('NODE_OPTIONS='));
    expect(options ?? '(no NODE_OPTIONS)').toContain('--max-semi-space-size=2');
  });

  it('checks the running control plane, its proxies and the identity folder; warns about the issuer', async () => {
    const r = await weft('check', '--control-plane-admin', admin, '--identity-dir', identityDir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(`✔ control plane is running (/healthz) (${admin})`);
    expect(lines).toContain('✔ control plane is ready (/readyz)');
    expect(lines).toContain('✔ identity folder loads (trust domain cluster.local)');
    expect(r.stdout).toMatch(
      /^✔ trust anchor is valid for at least 30 days \(expires .*, in 36\d\d days\)$/m,
    );
    const issuer = lines.findIndex((l) => l.startsWith('‼ issuer certificate is valid for at least 30 days'));
    expect(issuer).toBeGreaterThan(0);
    expect(lines[issuer + 1]).toMatch(
      /^ {4}expires in (9|10) days \(.*\), within 30 days\. sign a new issuer/,
    );
    expect(lines).toContain(`✔ connected proxies run this weft version (1 proxy at ${VERSION})`);
    expect(lines.at(-2)).toBe('Status check results are ✔ (1 warning)');
  });

  it('reports JSON with -o json', async () => {
    const r = await weft('check', '--control-plane-admin', admin, '-o', 'json');
    expect(r.code).toBe(0);
    const body = JSON.parse(r.stdout) as { success: boolean; checks: { name: string; status: string }[] };
    expect(body).toMatchObject({ success: true });
    expect(body.checks.map((c) => [c.name, c.status])).toEqual([
      ['control plane is running (/healthz)', 'ok'],
      ['control plane is ready (/readyz)', 'ok'],
      ['no resources are rejected', 'ok'],
      ['connected proxies run this weft version', 'ok'],
      ['trust-anchor rotation', 'ok'],
    ]);
  });

  it('fails an identity folder whose issuer has expired', async () => {
    const dir = join(root, 'expired');
    const clock = new ManualClock(Date.now() - 400 * DAY_MS);
    const material = createIdentityMaterial({
      trustDomain: 'cluster.local',
      anchorValidityMs: 3650 * DAY_MS,
      issuerValidityMs: 365 * DAY_MS,
      clock,
    });
    await writeIdentityDir(dir, material);
    const results = await checkLocal({ identityDir: dir, version: VERSION, timeoutMs: 5000 });
    const issuer = results.find((x) => x.name === 'issuer certificate is valid for at least 30 days');
    expect(issuer?.status).toBe('fail');
    expect(issuer?.status === 'fail' && issuer.hint).toMatch(/^expired on /);
    const r = await weft('check', '--identity-dir', dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('✖ issuer certificate is valid for at least 30 days');
  });

  it('fails when the control plane cannot be reached, without repeating it for every check', async () => {
    const port = await closedPort();
    const unreachable = await checkLocal({
      controlPlaneAdmin: `http://127.0.0.1:${port}/`,
      version: VERSION,
      timeoutMs: 5000,
    });
    expect(unreachable).toHaveLength(1);
    expect(unreachable[0]).toMatchObject({ name: 'control plane is running (/healthz)', status: 'fail' });
    expect(unreachable[0]?.status === 'fail' && unreachable[0].hint).toContain(
      `cannot reach http://127.0.0.1:${port}/healthz`,
    );
    // The live one is still fine.
    const live = await checkLocal({ controlPlaneAdmin: admin, version: VERSION, timeoutMs: 5000 });
    expect(live.every((x) => x.status === 'ok')).toBe(true);
  });
});
