/**
 * The proxy against the real control plane (`weft control-plane`, join tokens, Certify,
 * Discovery): traffic flows A -> mTLS -> B; the control plane is killed and traffic keeps
 * flowing on the cached config; the control plane comes back on the same port and both
 * proxies reconnect, re-register and re-subscribe.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createIdentityMaterial, createJoinToken, writeIdentityDir } from '@weft/pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProxyProcess, startProxy, WEFT_BIN } from './proxy-support/processes.js';

const B = 'b.default.svc.cluster.local:80';
let dir: string;
let cp: { child: ChildProcess; grpc: number; admin: number } | undefined;
let app: http.Server;
let a: ProxyProcess | undefined;
let b: ProxyProcess | undefined;

async function startControlPlane(
  grpcPort: number,
): Promise<{ child: ChildProcess; grpc: number; admin: number }> {
  const child = spawn(
    process.execPath,
    [
      WEFT_BIN,
      'control-plane',
      '--config-dir',
      join(dir, 'config'),
      '--identity-dir',
      join(dir, 'identity'),
      '--listen',
      `127.0.0.1:${grpcPort}`,
      '--admin-listen',
      '127.0.0.1:0',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const ports = await new Promise<{ grpc: number; admin: number }>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]!) as { grpc: number; admin: number });
    });
    child.once('exit', (code) => reject(new Error(`control plane exited ${code}`)));
  });
  return { child, ...ports };
}

async function stopControlPlane(signal: NodeJS.Signals): Promise<void> {
  const c = cp?.child;
  if (c === undefined || c.exitCode !== null || c.signalCode !== null) return;
  c.kill(signal);
  await once(c, 'exit');
}

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => {
          body += d.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

async function metric(p: ProxyProcess, line: RegExp): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${p.ports.admin}/metrics`)).text();
  const m = text.split('\n').find((l) => line.test(l));
  return m === undefined ? 0 : Number(m.split(' ').pop());
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'weft-e2e-proxy-cp-'));
  const material = createIdentityMaterial({
    trustDomain: 'cluster.local',
    anchorValidityMs: 86_400_000,
    issuerValidityMs: 86_400_000,
  });
  await writeIdentityDir(join(dir, 'identity'), material);
  for (const sa of ['a', 'b']) {
    const token = createJoinToken({
      key: material.tokenKey,
      trustDomain: 'cluster.local',
      namespace: 'default',
      serviceAccount: sa,
      ttlMs: 3_600_000,
      now: Date.now(),
    });
    writeFileSync(join(dir, `${sa}.token`), token);
  }
  mkdirSync(join(dir, 'config'));
  writeFileSync(
    join(dir, 'config', 'b.yaml'),
    'apiVersion: v1\nkind: Service\nmetadata: {name: b, namespace: default}\nspec:\n  ports: [{name: http, port: 80}]\n',
  );
  app = http.createServer((req, res) => res.end(`b saw ${req.url}`));
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  cp = await startControlPlane(0);
  const common = (sa: string) => [
    '--control-plane',
    `127.0.0.1:${cp!.grpc}`,
    '--ca-file',
    join(dir, 'identity', 'ca.crt'),
    '--token-file',
    join(dir, `${sa}.token`),
    '--namespace',
    'default',
    '--service-account',
    sa,
    '--service',
    sa,
    '--workload',
    `${sa}-1`,
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
  b = await startProxy([...common('b'), '--mtls-mode', 'strict'], {
    WEFT_INBOUND: `80=127.0.0.1:${(app.address() as AddressInfo).port}`,
  });
  a = await startProxy([...common('a'), '--upstream', `${B}=127.0.0.1:0`]);
}, 120_000);

afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await stopControlPlane('SIGTERM');
  app?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('weft proxy with the real control plane', () => {
  it('gets its certificate through Certify and carries traffic over mTLS', async () => {
    await expect
      .poll(async () => (await get(a!.ports.upstreams[B]!, '/first').catch(() => ({ body: '' }))).body, {
        timeout: 30_000,
        interval: 200,
      })
      .toBe('b saw /first');
    expect((await get(a!.ports.admin, '/ready')).status).toBe(200);
    expect(await metric(b!, /^weft_proxy_requests_total\{class="2xx",direction="inbound"\}/)).toBeGreaterThan(
      0,
    );
  }, 60_000);

  it('keeps serving while the control plane is down, and reconnects when it returns', async () => {
    const grpcPort = cp!.grpc;
    await stopControlPlane('SIGKILL');
    await expect.poll(() => metric(a!, /^weft_proxy_discovery_events_total\{event="disconnected"\}/)).toBe(1);
    expect(await get(a!.ports.upstreams[B]!, '/while-down')).toEqual({
      status: 200,
      body: 'b saw /while-down',
    });
    cp = await startControlPlane(grpcPort);
    await expect
      .poll(() => metric(a!, /^weft_proxy_discovery_events_total\{event="connected"\}/), { timeout: 30_000 })
      .toBe(2);
    await expect
      .poll(
        async () => {
          const state = (await (await fetch(`http://127.0.0.1:${cp!.admin}/debug/state`)).json()) as {
            proxies: { identity: string; subscriptions: string[] }[];
          };
          return state.proxies.find((p) => p.identity.endsWith('/sa/a'))?.subscriptions;
        },
        { timeout: 30_000 },
      )
      .toEqual([B]);
    expect(await get(a!.ports.upstreams[B]!, '/after')).toEqual({ status: 200, body: 'b saw /after' });
  }, 90_000);
});
