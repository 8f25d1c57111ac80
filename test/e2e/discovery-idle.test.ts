/**
 * `weft proxy --discovery-idle` end to end: the real control plane and two proxies (Certify,
 * Discovery, mTLS). A's only destination goes unused past the idle timeout: A unsubscribes it
 * (the control plane's /debug/state no longer lists it), forgets its traffic state (/metrics,
 * /config), and the next request subscribes again and is served.
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

async function metric(p: ProxyProcess, name: string): Promise<number | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${p.ports.admin}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

/** What the control plane says proxy A is subscribed to. */
async function subscriptionsOfA(): Promise<string[] | undefined> {
  const state = (await (await fetch(`http://127.0.0.1:${cp!.admin}/debug/state`)).json()) as {
    proxies: { identity: string; subscriptions: string[] }[];
  };
  return state.proxies.find((p) => p.identity.endsWith('/sa/a'))?.subscriptions;
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
  b = await startProxy(mesh.proxyFlags('b', cp.grpc), {
    WEFT_INBOUND: `80=127.0.0.1:${(app.address() as AddressInfo).port}`,
  });
  a = await startProxy([
    ...mesh.proxyFlags('a', cp.grpc),
    '--upstream',
    `${B}=127.0.0.1:0`,
    '--discovery-idle',
    // Long enough that the checks right after a request finish well before it can go idle again.
    '3s',
  ]);
}, 120_000);

afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await stopControlPlane(cp, 'SIGTERM');
  app?.close();
  mesh?.cleanup();
});

describe('weft proxy --discovery-idle', () => {
  it('unsubscribes a destination no request used, and subscribes it again on the next request', async () => {
    const upstream = a!.ports.upstreams[B]!;
    await expect
      .poll(async () => (await get(upstream, '/first').catch(() => ({ body: '' }))).body, {
        timeout: 30_000,
        interval: 200,
      })
      .toBe('b saw /first');
    // Idle: A lets go of B at the control plane and in its own state.
    await expect.poll(subscriptionsOfA, { timeout: 30_000, interval: 200 }).toEqual([]);
    expect(await metric(a!, 'weft_proxy_discovery_subscriptions')).toBe(0);
    expect(await metric(a!, 'weft_proxy_traffic_destinations')).toBe(0);
    expect(await metric(a!, 'weft_proxy_discovery_events_total{event="idle-unsubscribe"}')).toBeGreaterThan(
      0,
    );
    const config = (await (await fetch(`http://127.0.0.1:${a!.ports.admin}/config`)).json()) as {
      stats: { names: number; traffic: { destinations: number } };
    };
    expect(config.stats.names).toBe(0);
    expect(config.stats.traffic.destinations).toBe(0);
    // The next request subscribes again and is served.
    expect(await get(upstream, '/again')).toEqual({ status: 200, body: 'b saw /again' });
    expect(await subscriptionsOfA()).toEqual([B]);
    expect(await metric(a!, 'weft_proxy_traffic_destinations')).toBe(1);
  }, 90_000);
});
