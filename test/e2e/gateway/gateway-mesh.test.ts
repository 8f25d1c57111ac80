/**
 * client -> `weft gateway` -> mTLS -> `weft proxy` -> app, all real processes over a real
 * control plane (`weft control-plane`, join tokens, Certify, Discovery). The gateway certifies
 * with its own join token; web's AuthorizationPolicy allows only the gateway's SPIFFE ID, so
 * requests through the gateway pass and the same requests from another meshed identity are
 * denied: the server side sees the gateway's identity, not one the client claimed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ControlPlaneProcess,
  createMeshFolder,
  type MeshFolder,
  stopControlPlane,
} from '../proxy-support/control-plane.js';
import { type ProxyProcess, startProxy, WEFT_BIN } from '../proxy-support/processes.js';

const WEB = 'web.default.svc.cluster.local:80';
const GATEWAY_ID = 'spiffe://cluster.local/ns/default/sa/gateway';

let mesh: MeshFolder;
let cp: ControlPlaneProcess | undefined;
let app: http.Server;
const held: http.ServerResponse[] = [];
let web: ProxyProcess | undefined;
let other: ProxyProcess | undefined;
let gateway: { child: ChildProcess; port: number; admin: number; stderr: () => string } | undefined;

function get(
  port: number,
  headers: http.OutgoingHttpHeaders = {},
  path = '/hello',
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => {
          body += d.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

async function startGateway(args: string[]) {
  const child = spawn(process.execPath, [WEFT_BIN, 'gateway', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-16_384);
  });
  let out = '';
  const listening = await new Promise<{ gateway: Record<string, number>; admin: number }>(
    (resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const nl = out.indexOf('\n');
        if (nl >= 0)
          resolve(JSON.parse(out.slice(0, nl)) as { gateway: Record<string, number>; admin: number });
      });
      child.once('exit', (code) => reject(new Error(`weft gateway exited with ${code}: ${err}`)));
    },
  );
  return { child, port: listening.gateway['80']!, admin: listening.admin, stderr: () => err };
}

beforeAll(async () => {
  mesh = await createMeshFolder(
    {
      'web.yaml': [
        'apiVersion: v1',
        'kind: Service',
        'metadata: {name: web, namespace: default}',
        'spec:',
        '  ports: [{name: http, port: 80}]',
        '---',
        'apiVersion: weft.dev/v1alpha1',
        'kind: AuthorizationPolicy',
        'metadata: {name: web-from-gateway, namespace: default}',
        'spec:',
        '  targetRef: {kind: Service, name: web}',
        '  action: Allow',
        '  from:',
        `  - identities: ["${GATEWAY_ID}"]`,
        '',
      ].join('\n'),
      'mesh.yaml': [
        'apiVersion: weft.dev/v1alpha1',
        'kind: MeshConfig',
        'metadata: {name: mesh}',
        'spec: {defaultInboundPolicy: deny, mtls: strict}',
        '',
      ].join('\n'),
    },
    ['web', 'other', 'gateway'],
  );
  app = http.createServer((req, res) => {
    // /slow answers only when the test is done with it: slower than its route's timeout.
    if (req.url?.startsWith('/slow')) {
      held.push(res);
      return;
    }
    res.end(
      JSON.stringify({
        url: req.url,
        xff: req.headers['x-forwarded-for'],
        proto: req.headers['x-forwarded-proto'],
      }),
    );
  });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  cp = await mesh.start();
  web = await startProxy([...mesh.proxyFlags('web', cp.grpc), '--mtls-mode', 'strict'], {
    WEFT_INBOUND: `80=127.0.0.1:${(app.address() as AddressInfo).port}`,
  });
  other = await startProxy([...mesh.proxyFlags('other', cp.grpc), '--upstream', `${WEB}=127.0.0.1:0`]);
  const configFile = join(mesh.dir, 'gateway.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      listeners: [
        {
          name: 'default/public/http',
          port: 80,
          protocol: 'GATEWAY_LISTENER_PROTOCOL_HTTP',
          routes: [
            {
              name: 'HTTPRoute/default/web/slow',
              matches: [{ path: { prefix: '/slow' } }],
              requestTimeout: '0.3s',
              backends: [{ authority: WEB, weight: 1 }],
            },
            { name: 'HTTPRoute/default/web/0', backends: [{ authority: WEB, weight: 1 }] },
          ],
        },
      ],
    }),
  );
  gateway = await startGateway([
    '--control-plane',
    `127.0.0.1:${cp.grpc}`,
    '--ca-file',
    join(mesh.dir, 'identity', 'ca.crt'),
    '--token-file',
    join(mesh.dir, 'gateway.token'),
    '--namespace',
    'default',
    '--config',
    configFile,
    '--port-map',
    '80=0',
    '--listen-host',
    '127.0.0.1',
    '--admin-port',
    '0',
  ]);
}, 120_000);

afterAll(async () => {
  if (gateway !== undefined && gateway.child.exitCode === null) {
    gateway.child.kill('SIGTERM');
    await once(gateway.child, 'exit');
  }
  await other?.stop();
  await web?.stop();
  await stopControlPlane(cp, 'SIGTERM');
  app?.closeAllConnections();
  app?.close();
  mesh?.cleanup();
});

describe('weft gateway in the mesh', () => {
  it('enters the mesh over mTLS as its own identity, which the server-side policy allows', async () => {
    await expect
      .poll(async () => (await get(gateway!.port).catch(() => ({ status: 0, body: '' }))).status, {
        timeout: 30_000,
        interval: 200,
      })
      .toBe(200);
    const r = await get(gateway!.port, { 'x-forwarded-for': '6.6.6.6' });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ url: '/hello', xff: '127.0.0.1', proto: 'http' });
    const config = (await (await fetch(`http://127.0.0.1:${gateway!.admin}/config`)).json()) as {
      gateway: { boundPorts: Record<string, number>; source: string };
    };
    expect(config.gateway.boundPorts['80']).toBe(gateway!.port);
    expect(config.gateway.source).toBe('file');
    expect(JSON.stringify(config)).not.toContain('PRIVATE KEY');
    // web's proxy counted the requests under the identity from the gateway's client certificate.
    const metrics = await (await fetch(`http://127.0.0.1:${web!.ports.admin}/metrics`)).text();
    expect(
      metrics
        .split('\n')
        .some(
          (l) =>
            l.includes('direction="inbound"') &&
            l.includes(`peer_identity="${GATEWAY_ID}"`) &&
            l.includes('tls="true"'),
        ),
    ).toBe(true);
  }, 60_000);

  it("answers 504 when the mesh backend is slower than the route's timeout", async () => {
    const r = await get(gateway!.port, {}, '/slow');
    expect(r.status).toBe(504);
    for (const res of held) res.end();
    const metrics = await (await fetch(`http://127.0.0.1:${gateway!.admin}/metrics`)).text();
    expect(metrics).toMatch(
      /weft_gateway_requests_total\{[^}]*route="HTTPRoute\/default\/web\/slow"[^}]*\} 1/,
    );
  }, 30_000);

  it('denies the same request from another meshed identity', async () => {
    await expect
      .poll(
        async () => (await get(other!.ports.upstreams[WEB]!).catch(() => ({ status: 0, body: '' }))).status,
        {
          timeout: 30_000,
          interval: 200,
        },
      )
      .toBe(403);
    // Both went to the same app through the same web proxy: only the caller's certificate differs.
    expect((await get(gateway!.port)).status).toBe(200);
  }, 60_000);
});
