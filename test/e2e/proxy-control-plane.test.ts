/**
 * The proxy against the real control plane (`weft control-plane`, join tokens, Certify,
 * Discovery): traffic flows A -> mTLS -> B; the control plane is killed and traffic keeps
 * flowing on the cached config; the control plane comes back on the same port and both
 * proxies reconnect, re-register and re-subscribe.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ControlPlaneProcess,
  createMeshFolder,
  type MeshFolder,
  stopControlPlane,
} from './proxy-support/control-plane.js';
import { type ProxyProcess, startProxy } from './proxy-support/processes.js';

const B = 'b.default.svc.cluster.local:80';
let mesh: MeshFolder;
let cp: ControlPlaneProcess | undefined;
let app: http.Server;
let a: ProxyProcess | undefined;
let b: ProxyProcess | undefined;

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
  mesh = await createMeshFolder(
    {
      'b.yaml':
        'apiVersion: v1\nkind: Service\nmetadata: {name: b, namespace: default}\nspec:\n  ports: [{name: http, port: 80}]\n',
    },
    ['a', 'b'],
  );
  app = http.createServer((req, res) => res.end(`b saw ${req.url}`));
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  cp = await mesh.start();
  b = await startProxy([...mesh.proxyFlags('b', cp.grpc), '--mtls-mode', 'strict'], {
    WEFT_INBOUND: `80=127.0.0.1:${(app.address() as AddressInfo).port}`,
  });
  a = await startProxy([...mesh.proxyFlags('a', cp.grpc), '--upstream', `${B}=127.0.0.1:0`]);
}, 120_000);

afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await stopControlPlane(cp, 'SIGTERM');
  app?.close();
  mesh?.cleanup();
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
    await stopControlPlane(cp, 'SIGKILL');
    await expect.poll(() => metric(a!, /^weft_proxy_discovery_events_total\{event="disconnected"\}/)).toBe(1);
    expect(await get(a!.ports.upstreams[B]!, '/while-down')).toEqual({
      status: 200,
      body: 'b saw /while-down',
    });
    cp = await mesh.start(grpcPort);
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
    // A fresh control plane learns B's endpoint only when B re-registers, so it may first
    // answer A's re-subscription with no endpoints: the mesh converges once B is back.
    await expect
      .poll(async () => (await get(a!.ports.upstreams[B]!, '/after')).body, {
        timeout: 30_000,
        interval: 200,
      })
      .toBe('b saw /after');
  }, 90_000);
});
