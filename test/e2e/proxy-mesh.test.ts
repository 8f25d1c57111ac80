/**
 * End to end over loopback with real processes (`weft control-plane` + two `weft proxy`):
 * app -> weft(A) -> mTLS -> weft(B) -> app for HTTP/1.1, gRPC (unary + streaming), WebSocket
 * and raw TCP with half-close; plaintext to a strict port refused; admin endpoints; SIGTERM
 * drain. (Control plane restarts: proxy-control-plane.test.ts.)
 */
import { once } from 'node:events';
import http from 'node:http';
import { type AddressInfo, connect, createServer } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import {
  type ControlPlaneProcess,
  createMeshFolder,
  type MeshFolder,
  stopControlPlane,
} from './proxy-support/control-plane.js';
import { type ProxyProcess, startProxy } from './proxy-support/processes.js';

const name = (port: number) => `b.default.svc.cluster.local:${port}`;
const SERVICE_B = `apiVersion: v1
kind: Service
metadata: {name: b, namespace: default}
spec:
  ports:
  - {name: http, port: 80}
  - {name: rpc, port: 81, appProtocol: grpc}
  - {name: http-ws, port: 82}
  - {name: raw, port: 83, appProtocol: tcp}
`;

const MESH_STRICT = `apiVersion: weft.dev/v1alpha1
kind: MeshConfig
metadata: {name: mesh}
spec: {mtls: strict}
`;

let mesh: MeshFolder;
let cp: ControlPlaneProcess | undefined;
let a: ProxyProcess;
let b: ProxyProcess;
const cleanups: (() => unknown)[] = [];
const apps = { http: 0, grpc: 0, ws: 0, tcp: 0 };

const id = (x: Buffer) => x;
const echoService: grpc.ServiceDefinition = {
  unary: {
    path: '/e.Echo/Unary',
    requestStream: false,
    responseStream: false,
    requestSerialize: id,
    requestDeserialize: id,
    responseSerialize: id,
    responseDeserialize: id,
  },
  chat: {
    path: '/e.Echo/Chat',
    requestStream: true,
    responseStream: true,
    requestSerialize: id,
    requestDeserialize: id,
    responseSerialize: id,
    responseDeserialize: id,
  },
};

async function startApps(): Promise<void> {
  const h = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => res.end(`b:${req.method}:${req.url}:${Buffer.concat(chunks).toString()}`));
  });
  h.listen(0, '127.0.0.1');
  await once(h, 'listening');
  apps.http = (h.address() as AddressInfo).port;
  cleanups.push(() => {
    h.closeAllConnections();
    h.close();
  });

  const g = new grpc.Server();
  g.addService(echoService, {
    unary: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) =>
      cb(null, Buffer.concat([Buffer.from('u:'), call.request])),
    chat: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
      call.on('data', (d: Buffer) => call.write(Buffer.concat([Buffer.from('s:'), d])));
      call.on('end', () => call.end());
    },
  });
  apps.grpc = await new Promise<number>((res, rej) =>
    g.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))),
  );
  cleanups.push(() => g.forceShutdown());

  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(wss, 'listening');
  wss.on('connection', (ws) => ws.on('message', (m) => ws.send(`ws:${m.toString()}`)));
  apps.ws = (wss.address() as AddressInfo).port;
  cleanups.push(() => wss.close());

  const t = createServer({ allowHalfOpen: true }, (sock) => {
    const chunks: Buffer[] = [];
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('end', () => sock.end(`tcp:${Buffer.concat(chunks).toString()}`));
  });
  t.listen(0, '127.0.0.1');
  await once(t, 'listening');
  apps.tcp = (t.address() as AddressInfo).port;
  cleanups.push(() => t.close());
}

beforeAll(async () => {
  mesh = await createMeshFolder({ 'b.yaml': SERVICE_B, 'mesh.yaml': MESH_STRICT }, ['a', 'b']);
  await startApps();
  cp = await mesh.start();
  b = await startProxy(mesh.proxyFlags('b', cp.grpc), {
    WEFT_INBOUND: `80=127.0.0.1:${apps.http},81=127.0.0.1:${apps.grpc},82=127.0.0.1:${apps.ws},83=127.0.0.1:${apps.tcp}`,
  });
  a = await startProxy([
    ...mesh.proxyFlags('a', cp.grpc),
    ...[80, 81, 82, 83].flatMap((p) => ['--upstream', `${name(p)}=127.0.0.1:0`]),
  ]);
}, 90_000);

afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await stopControlPlane(cp, 'SIGTERM');
  for (const c of cleanups.reverse()) await c();
  mesh?.cleanup();
});

function get(port: number, path: string, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path, method: body === undefined ? 'GET' : 'POST' },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('weft proxy processes: app -> A -> mTLS -> B -> app', () => {
  it('carries HTTP/1.1 (once B has registered with the control plane)', async () => {
    await expect
      .poll(
        async () =>
          (await get(a.ports.upstreams[name(80)]!, '/hello', 'body').catch(() => ({ status: 0 }))).status,
        {
          timeout: 30_000,
          interval: 100,
        },
      )
      .toBe(200);
    const r = await get(a.ports.upstreams[name(80)]!, '/hello', 'body');
    expect(r).toEqual({ status: 200, body: 'b:POST:/hello:body' });
  }, 40_000);

  it('carries gRPC unary and streaming calls', async () => {
    const Client = grpc.makeGenericClientConstructor(echoService, 'Echo');
    const client = new Client(
      `127.0.0.1:${a.ports.upstreams[name(81)]}`,
      grpc.credentials.createInsecure(),
    ) as grpc.Client & Record<string, any>;
    try {
      const r = await new Promise<Buffer>((res, rej) =>
        client.unary(Buffer.from('x'), (e: Error | null, v: Buffer) => (e ? rej(e) : res(v))),
      );
      expect(r.toString()).toBe('u:x');
      const call = client.chat() as grpc.ClientDuplexStream<Buffer, Buffer>;
      const got: string[] = [];
      call.on('data', (d: Buffer) => got.push(d.toString()));
      call.write(Buffer.from('1'));
      call.write(Buffer.from('2'));
      call.end();
      await once(call, 'end');
      expect(got).toEqual(['s:1', 's:2']);
    } finally {
      client.close();
    }
  });

  it('passes a WebSocket through', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${a.ports.upstreams[name(82)]}/`);
    await once(ws, 'open');
    ws.send('hi');
    const [m] = await once(ws, 'message');
    expect(String(m)).toBe('ws:hi');
    ws.close();
    await once(ws, 'close');
  });

  it('relays raw TCP with half-close', async () => {
    const c = connect({ host: '127.0.0.1', port: a.ports.upstreams[name(83)]!, allowHalfOpen: true });
    const got: Buffer[] = [];
    c.on('data', (d: Buffer) => got.push(d));
    c.end('half');
    await once(c, 'end');
    expect(Buffer.concat(got).toString()).toBe('tcp:half');
    c.destroy();
  });

  it('refuses plaintext to the strict inbound port', async () => {
    const s = connect(b.ports.inbound, '127.0.0.1');
    s.write('GET / HTTP/1.1\r\nhost: b\r\n\r\n');
    const got: Buffer[] = [];
    s.on('data', (d: Buffer) => got.push(d));
    s.on('error', () => {});
    await once(s, 'close');
    expect(got).toEqual([]);
  });

  it('serves admin endpoints', async () => {
    const ready = await get(a.ports.admin, '/ready');
    expect(ready).toEqual({ status: 200, body: 'ready\n' });
    const metrics = await get(b.ports.admin, '/metrics');
    expect(metrics.body).toMatch(/weft_proxy_requests_total\{class="2xx",direction="inbound"\} [1-9]/);
    expect(metrics.body).toContain(
      'weft_proxy_connections_refused_total{listener="inbound",reason="plaintext-strict"} 1',
    );
    const config = JSON.parse((await get(a.ports.admin, '/config')).body) as {
      destinations: Record<string, unknown>;
    };
    expect(Object.keys(config.destinations)).toContain(name(80));
  });

  it('stops through POST /shutdown (loopback only) with exit code 0', async () => {
    const exited = once(b.child, 'exit');
    const res = await fetch(`http://127.0.0.1:${b.ports.admin}/shutdown`, { method: 'POST' });
    expect(res.status).toBe(202);
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
  });

  it('drains and exits 0 on SIGTERM', async () => {
    const code = await a.stop();
    expect(code).toBe(0);
  });
});
