/**
 * End to end over loopback with real processes and no fakes: `weft control-plane --config-dir`
 * issues SVIDs (join tokens) and serves Discovery; proxy B registers service "b"; proxy A
 * subscribes to it and carries a request over mTLS to B's app.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  type ControlPlaneProcess,
  createMeshFolder,
  type MeshFolder,
  stopControlPlane,
} from './proxy-support/control-plane.js';
import { type ProxyProcess, startProxy } from './proxy-support/processes.js';

let mesh: MeshFolder;
let controlPlane: ControlPlaneProcess | undefined;
let app: http.Server;
let a: ProxyProcess | undefined;
let b: ProxyProcess | undefined;
const seen: string[] = [];

beforeAll(async () => {
  mesh = await createMeshFolder(
    {
      'b.yaml':
        'apiVersion: v1\nkind: Service\nmetadata: {name: b, namespace: default}\nspec:\n  ports: [{name: http, port: 80, targetPort: 8080}]\n',
    },
    ['a', 'b'],
  );
  app = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    res.end('hello from b');
  });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  controlPlane = await mesh.start();
  b = await startProxy(mesh.proxyFlags('b', controlPlane.grpc), {
    WEFT_INBOUND: `80=127.0.0.1:${(app.address() as AddressInfo).port}`,
  });
  a = await startProxy([
    ...mesh.proxyFlags('a', controlPlane.grpc),
    '--upstream',
    'b.default.svc.cluster.local:80=127.0.0.1:0',
  ]);
}, 120_000);

afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await stopControlPlane(controlPlane, 'SIGTERM');
  app?.close();
  mesh?.cleanup();
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
  const state = (await (await fetch(`http://127.0.0.1:${controlPlane?.admin}/debug/state`)).json()) as {
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
