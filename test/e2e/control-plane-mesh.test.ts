/**
 * End to end over loopback with real processes and no fakes: `weft control-plane --config-dir`
 * issues SVIDs (join tokens) and serves Discovery; proxy B registers service "b"; proxy A
 * subscribes to it and carries a request over mTLS to B's app.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createIdentityMaterial, createJoinToken, writeIdentityDir } from '@weft/pki';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type ProxyProcess, startProxy, WEFT_BIN } from './proxy-support/processes.js';

let dir: string;
let controlPlane: ChildProcess;
let cpPorts: { grpc: number; admin: number };
let app: http.Server;
let a: ProxyProcess | undefined;
let b: ProxyProcess | undefined;
const seen: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'weft-e2e-cp-'));
  const material = createIdentityMaterial({
    trustDomain: 'cluster.local',
    anchorValidityMs: 86_400_000,
    issuerValidityMs: 86_400_000,
  });
  await writeIdentityDir(join(dir, 'identity'), material);
  const token = (sa: string) =>
    createJoinToken({
      key: material.tokenKey,
      trustDomain: 'cluster.local',
      namespace: 'default',
      serviceAccount: sa,
      ttlMs: 3_600_000,
      now: Date.now(),
    });
  writeFileSync(join(dir, 'a.token'), token('a'));
  writeFileSync(join(dir, 'b.token'), token('b'));
  mkdirSync(join(dir, 'config'));
  writeFileSync(
    join(dir, 'config', 'b.yaml'),
    'apiVersion: v1\nkind: Service\nmetadata: {name: b, namespace: default}\nspec:\n  ports: [{name: http, port: 80, targetPort: 8080}]\n',
  );

  app = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    res.end('hello from b');
  });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));

  controlPlane = spawn(
    process.execPath,
    [
      WEFT_BIN,
      'control-plane',
      '--config-dir',
      join(dir, 'config'),
      '--identity-dir',
      join(dir, 'identity'),
      '--listen',
      '127.0.0.1:0',
      '--admin-listen',
      '127.0.0.1:0',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  cpPorts = await new Promise((resolve, reject) => {
    let out = '';
    controlPlane.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0] as string));
    });
    controlPlane.once('exit', (code) => reject(new Error(`control plane exited ${code}`)));
  });

  const common = (sa: string) => [
    '--control-plane',
    `127.0.0.1:${cpPorts.grpc}`,
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
  b = await startProxy(common('b'), { WEFT_INBOUND: `80=127.0.0.1:${(app.address() as AddressInfo).port}` });
  a = await startProxy([...common('a'), '--upstream', 'b.default.svc.cluster.local:80=127.0.0.1:0']);
}, 120_000);

afterAll(async () => {
  await a?.stop();
  await b?.stop();
  if (controlPlane?.exitCode === null) {
    controlPlane.kill('SIGTERM');
    await once(controlPlane, 'exit');
  }
  app?.close();
  rmSync(dir, { recursive: true, force: true });
});

function get(port: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/hello', agent: false }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => {
          body += d.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

it('carries a request from A to B through the real control plane', async () => {
  const upstream = a?.ports.upstreams['b.default.svc.cluster.local:80'] as number;
  // B's registration reaches A's subscription asynchronously: poll until the route works.
  await expect
    .poll(async () => (await get(upstream).catch(() => ({ status: 0, body: '' }))).body, {
      timeout: 30_000,
      interval: 200,
    })
    .toBe('hello from b');
  expect(seen).toContain('GET /hello');
  const state = (await (await fetch(`http://127.0.0.1:${cpPorts.admin}/debug/state`)).json()) as {
    proxies: { identity: string; acked: Record<string, string> }[];
  };
  const identities = state.proxies.map((p) => p.identity).sort();
  expect(identities).toEqual([
    'spiffe://cluster.local/ns/default/sa/a',
    'spiffe://cluster.local/ns/default/sa/b',
  ]);
  const proxyA = state.proxies.find((p) => p.identity.endsWith('/sa/a'));
  expect(Object.keys(proxyA?.acked ?? {})).toContain('b.default.svc.cluster.local:80');
}, 60_000);
