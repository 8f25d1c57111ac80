/**
 * Local mode end to end, as real processes: `weft control-plane` over a folder with a mesh
 * config whose tracing points at an OTLP receiver, two `weft proxy` sidecars that Certify with
 * join tokens, an app. Checks that the mesh config turns tracing on in the proxies (one trace
 * across both), that the control plane traces Certify and pushes, and that `weft stat`
 * reports the traffic gathered through the control plane.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createIdentityMaterial, createJoinToken, loadIdentityDir, writeIdentityDir } from '@weft/pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ReceivedSpan, startOtlpReceiver } from '../support/otlp-receiver.js';

const bin = fileURLToPath(new URL('../../packages/cli/bin/weft.js', import.meta.url));
const closers: Array<() => Promise<void> | void> = [];

/** Starts `weft ARGS` and resolves with its `listening` line. */
async function start(args: string[]): Promise<{ child: ChildProcess; listening: Record<string, unknown> }> {
  const child = spawn(process.execPath, [bin, ...args], {
    env: { ...process.env, WEFT_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  closers.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });
  for await (const line of createInterface({ input: child.stdout! })) {
    const event = JSON.parse(line) as Record<string, unknown>;
    if (event.event === 'listening') return { child, listening: event };
  }
  throw new Error(`weft ${args[0]} exited before listening`);
}

/** Polls `check` (every 50 ms, up to `ms`) until it holds: waiting on state, not on time. */
async function until(check: () => Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function get(port: number, path: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent: false, headers: { host } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      })
      .on('error', reject);
  });
}

function weft(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  return once(child, 'exit').then(([status]) => ({ status: status as number | null, stdout, stderr }));
}

let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
let adminPort: number;
let webUpstream: number;
const REQUESTS = 6;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'weft-obs-'));
  closers.push(() => rmSync(dir, { recursive: true, force: true }));
  receiver = await startOtlpReceiver();
  closers.push(() => receiver.close());

  const identityDir = join(dir, 'identity');
  await writeIdentityDir(
    identityDir,
    createIdentityMaterial({
      trustDomain: 'cluster.local',
      anchorValidityMs: 86_400_000,
      issuerValidityMs: 86_400_000,
    }),
  );
  const { tokenKey } = await loadIdentityDir(identityDir);
  const token = async (sa: string) => {
    const file = join(dir, `${sa}.token`);
    writeFileSync(
      file,
      await createJoinToken({
        key: tokenKey,
        trustDomain: 'cluster.local',
        namespace: 'shop',
        serviceAccount: sa,
        services: [sa],
        ttlMs: 3600_000,
        now: Date.now(),
      }),
    );
    return file;
  };
  const config = join(dir, 'config');
  mkdirSync(config);
  writeFileSync(
    join(config, 'services.yaml'),
    'apiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: shop}\nspec:\n  selector: {app: api}\n  ports:\n  - {name: http, port: 80, targetPort: 8080}\n',
  );
  const meshConfig = join(dir, 'mesh.yaml');
  writeFileSync(
    meshConfig,
    `trustDomain: cluster.local\ntracing:\n  endpoint: ${receiver.httpEndpoint}\n  protocol: http/protobuf\n  sampling: 1\n`,
  );

  const app = http.createServer((_req, res) => res.end('ok'));
  app.listen(0, '127.0.0.1');
  await once(app, 'listening');
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        app.closeAllConnections();
        app.close(() => resolve());
      }),
  );
  const appPort = (app.address() as AddressInfo).port;

  const cp = await start([
    'control-plane',
    '--config-dir',
    config,
    '--identity-dir',
    identityDir,
    '--mesh-config',
    meshConfig,
    '--listen',
    '127.0.0.1:0',
    '--admin-listen',
    '127.0.0.1:0',
  ]);
  const grpc = `127.0.0.1:${cp.listening.grpc as number}`;
  adminPort = cp.listening.admin as number;
  const common = [
    '--control-plane',
    grpc,
    '--ca-file',
    join(identityDir, 'ca.crt'),
    '--namespace',
    'shop',
    '--listen-host',
    '127.0.0.1',
    '--admin-host',
    '127.0.0.1',
    '--advertise-address',
    '127.0.0.1',
    '--inbound-port',
    '0',
    '--outbound-port',
    '0',
    '--admin-port',
    '0',
  ];
  const api = await start([
    'proxy',
    ...common,
    '--service',
    'api',
    '--service-account',
    'api',
    '--workload',
    'api-1',
    '--token-file',
    await token('api'),
    '--inbound',
    `8080=127.0.0.1:${appPort}`,
  ]);
  const web = await start([
    'proxy',
    ...common,
    '--service',
    'web',
    '--service-account',
    'web',
    '--workload',
    'web-1',
    '--token-file',
    await token('web'),
    '--upstream',
    'api.shop:80=127.0.0.1:0',
  ]);
  webUpstream = (web.listening.upstreams as Record<string, number>)['api.shop:80'] as number;
  for (const p of [api, web]) {
    const admin = p.listening.admin as number;
    await until(async () => (await fetch(`http://127.0.0.1:${admin}/ready`)).ok, `proxy ${admin} ready`);
  }
  // Both proxies hold the mesh config (and so its tracing) once they serve a request end to end.
  await until(async () => (await get(webUpstream, '/warmup', 'api.shop')) === 200, 'a first request through');
  for (let i = 0; i < REQUESTS; i++) expect(await get(webUpstream, `/r/${i}`, 'api.shop')).toBe(200);
}, 60_000);

afterAll(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

describe('local mesh observability', () => {
  it('traces requests across both proxies with the tracing config pushed by the control plane', async () => {
    const isWebServer = (x: ReceivedSpan) =>
      x.resource['service.name'] === 'web' && x.kind === 'server' && x.attributes['url.path'] === '/r/0';
    const spans = await receiver.waitFor((s) => s.some(isWebServer));
    const webServer = spans.find(isWebServer) as ReceivedSpan;
    expect(webServer).toBeDefined();
    const trace = await receiver.waitFor((s) => s.filter((x) => x.traceId === webServer.traceId).length >= 4);
    const inTrace = trace.filter((x) => x.traceId === webServer.traceId);
    const webClient = inTrace.find((x) => x.kind === 'client' && x.resource['service.name'] === 'web');
    const apiServer = inTrace.find((x) => x.kind === 'server' && x.resource['service.name'] === 'api');
    expect(webClient?.parentSpanId).toBe(webServer.spanId);
    expect(apiServer?.parentSpanId).toBe(webClient?.spanId);
    expect(apiServer?.attributes['weft.peer.identity']).toBe('spiffe://cluster.local/ns/shop/sa/web');
    expect(webClient?.attributes['weft.peer.identity']).toBe('spiffe://cluster.local/ns/shop/sa/api');
    expect(webServer.resource).toMatchObject({ 'k8s.namespace.name': 'shop', 'k8s.pod.name': 'web-1' });
  });

  it('traces Certify and discovery pushes in the control plane', async () => {
    const spans = await receiver.waitFor(
      (s) =>
        s.filter((x) => x.name === 'weft.identity.v1alpha1.Identity/Certify').length >= 2 &&
        s.some((x) => x.name === 'weft.discovery.push'),
    );
    const certify = spans.filter((x) => x.name === 'weft.identity.v1alpha1.Identity/Certify');
    expect(
      certify.every((x) => x.resource['service.name'] === 'weft-control-plane' && x.kind === 'server'),
    ).toBe(true);
    expect(certify.map((x) => x.attributes['weft.identity']).sort()).toEqual([
      'spiffe://cluster.local/ns/shop/sa/api',
      'spiffe://cluster.local/ns/shop/sa/web',
    ]);
    const push = spans.find((x) => x.name === 'weft.discovery.push') as ReceivedSpan;
    expect(push.kind).toBe('producer');
    expect(push.attributes['k8s.namespace.name']).toBe('shop');
    expect(Number(push.attributes['weft.discovery.resources'])).toBeGreaterThan(0);
    // The control plane accounts for its spans on its own /metrics.
    const metrics = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
    const exported = /^weft_trace_spans_total\{result="exported"\} (\d+)/m.exec(metrics);
    expect(Number(exported?.[1])).toBeGreaterThan(0);
    expect(metrics).toMatch(/^weft_trace_spans_total\{result="dropped"\} 0$/m);
  });

  it('weft stat reports per-service golden metrics gathered through the control plane', async () => {
    const r = await weft(
      'stat',
      '--control-plane-admin',
      `http://127.0.0.1:${adminPort}`,
      '--window',
      '0',
      '-o',
      'json',
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const { services } = JSON.parse(r.stdout) as { services: Array<Record<string, unknown>> };
    const api = services.find((s) => s.service === 'api');
    expect(api).toMatchObject({ namespace: 'shop', proxies: 1, unreachable: 0, successRate: 1 });
    expect(Number(api?.requests)).toBeGreaterThanOrEqual(REQUESTS);
    expect(Number(api?.p99Ms)).toBeGreaterThan(0);
    expect(services.find((s) => s.service === 'web')).toMatchObject({ proxies: 1, requests: 0 });
  });
});
