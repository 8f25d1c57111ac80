/**
 * End to end over loopback with real processes: app -> weft(A) -> mTLS -> weft(B) -> app for
 * HTTP/1.1, gRPC (unary + streaming), WebSocket and raw TCP with half-close; the discovery
 * server is killed mid-test and traffic keeps flowing; admin endpoints; SIGTERM drain.
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { type AddressInfo, connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { Node__Output } from '@weft/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { createTestCa, type TestCa } from '../../packages/proxy/testing/certs.js';
import { type Answer, type FakeDiscovery, startFakeDiscovery } from './proxy-support/discovery-server.js';
import { type ProxyProcess, startProxy } from './proxy-support/processes.js';

const A_ID = 'spiffe://cluster.local/ns/default/sa/a';
const B_ID = 'spiffe://cluster.local/ns/default/sa/b';
const name = (port: number) => `b.default.svc.cluster.local:${port}`;
const PROTOCOLS: Record<number, string> = {
  80: 'PROTOCOL_HTTP',
  81: 'PROTOCOL_GRPC',
  82: 'PROTOCOL_HTTP',
  83: 'PROTOCOL_TCP',
};

const answer: Answer = (subscribed, nodes) => {
  const b = nodes.find((n) => n.service === 'b');
  const port = Number(subscribed.split(':').pop());
  if (
    b === undefined ||
    !subscribed.startsWith('b.default.svc.cluster.local:') ||
    PROTOCOLS[port] === undefined
  ) {
    return [{ name: subscribed, version: '1', doesNotExist: { reason: 'unknown service' } }];
  }
  return [
    {
      name: subscribed,
      version: '1',
      destination: {
        authority: subscribed,
        service: 'b',
        namespace: 'default',
        port,
        protocol: PROTOCOLS[port] as 'PROTOCOL_HTTP',
        backends: [
          {
            name: `b.default:${port}`,
            service: 'b',
            namespace: 'default',
            port,
            endpoints: [
              { address: b.address, port, identity: B_ID, meshed: { inboundPort: b.inboundListenerPort } },
            ],
          },
        ],
      },
    },
  ];
};

let dir: string;
let ca: TestCa;
let discovery: FakeDiscovery;
let cpTls: { key: string; cert: string; ca: string };
let a: ProxyProcess;
let b: ProxyProcess;
const nodes: Node__Output[] = [];
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

function files(prefix: string, m: { key: string; certChain: string }): string[] {
  writeFileSync(join(dir, `${prefix}.key`), m.key);
  writeFileSync(join(dir, `${prefix}.pem`), m.certChain);
  return ['--cert-file', join(dir, `${prefix}.pem`), '--key-file', join(dir, `${prefix}.key`)];
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'weft-e2e-proxy-'));
  ca = createTestCa();
  writeFileSync(join(dir, 'ca.pem'), ca.certPem);
  const cp = ca.issue('spiffe://cluster.local/ns/weft/sa/weft-control-plane', ['127.0.0.1']);
  cpTls = { key: cp.key, cert: cp.certChain, ca: ca.certPem };
  discovery = await startFakeDiscovery({ answer, tls: cpTls, nodes });
  await startApps();
  const common = [
    '--namespace',
    'default',
    '--control-plane',
    `127.0.0.1:${discovery.port}`,
    '--ca-file',
    join(dir, 'ca.pem'),
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
  b = await startProxy(
    [
      ...common,
      '--service',
      'b',
      '--service-account',
      'b',
      ...files('b', ca.issue(B_ID)),
      '--mtls-mode',
      'strict',
    ],
    {
      WEFT_INBOUND: `80=127.0.0.1:${apps.http},81=127.0.0.1:${apps.grpc},82=127.0.0.1:${apps.ws},83=127.0.0.1:${apps.tcp}`,
    },
  );
  a = await startProxy([
    ...common,
    '--service',
    'a',
    '--service-account',
    'a',
    ...files('a', ca.issue(A_ID)),
    '--upstream',
    `${name(80)}=127.0.0.1:0`,
    '--upstream',
    `${name(81)}=127.0.0.1:0`,
    '--upstream',
    `${name(82)}=127.0.0.1:0`,
    '--upstream',
    `${name(83)}=127.0.0.1:0`,
  ]);
  await discovery.nodesRegistered(2);
}, 60_000);

afterAll(async () => {
  await a?.stop();
  await b?.stop();
  discovery?.kill();
  for (const c of cleanups.reverse()) await c();
  ca?.cleanup();
  rmSync(dir, { recursive: true, force: true });
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
  it('registers the ports it actually bound', () => {
    const bNode = nodes.find((n) => n.service === 'b')!;
    expect(bNode.inboundListenerPort).toBe(b.ports.inbound);
    expect(bNode.inboundPorts.map((p) => p.port)).toEqual([80, 81, 82, 83]);
  });

  it('carries HTTP/1.1', async () => {
    const r = await get(a.ports.upstreams[name(80)]!, '/hello', 'body');
    expect(r).toEqual({ status: 200, body: 'b:POST:/hello:body' });
  });

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

  it('keeps serving when the control plane dies, and reconnects when it returns', async () => {
    const port = discovery.port;
    const before = discovery.received.filter((m) => m.kind === 'node').length;
    discovery.kill();
    expect((await get(a.ports.upstreams[name(80)]!, '/while-away')).body).toBe('b:GET:/while-away:');
    discovery = await startFakeDiscovery({ answer, tls: cpTls, port, nodes });
    await expect
      .poll(() => discovery.received.filter((m) => m.kind === 'node').length, { timeout: 20_000 })
      .toBe(2);
    await expect
      .poll(
        () => discovery.received.find((m) => m.kind === 'subscribe')?.subscribe?.names.includes(name(80)),
        { timeout: 20_000 },
      )
      .toBe(true);
    expect(before).toBe(2);
    expect((await get(a.ports.upstreams[name(80)]!, '/after')).body).toBe('b:GET:/after:');
  }, 40_000);

  it('drains and exits 0 on SIGTERM', async () => {
    const code = await a.stop();
    expect(code).toBe(0);
  });
});
