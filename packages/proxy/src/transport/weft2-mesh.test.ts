/**
 * weft.2 between two real sidecars: HTTP/1 requests multiplexed on one mTLS connection, weft.1
 * kept with peers that only speak it (both directions), a bad frame from a peer closing that
 * connection only, and draining with a request in flight on a stream.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { A_ID, type MeshPair, response, startMeshPair } from '../../testing/mesh-pair.js';
import { guard } from '../net/guard.js';
import type { Sidecar } from '../proxy.js';
import { weft2Metrics } from './weft2-metrics.js';

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

/** An app answering `path:body`, optionally holding requests to /slow until released. */
async function app(): Promise<{ port: number; arrived: Promise<void>; release: () => void }> {
  let release = () => {};
  let onArrive = () => {};
  const arrived = new Promise<void>((r) => {
    onArrive = r;
  });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply = `${req.url}:${Buffer.concat(chunks).toString()}`;
      if (req.url === '/slow') {
        release = () => res.end(reply);
        onArrive();
        return;
      }
      res.end(reply);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return { port: (server.address() as AddressInfo).port, arrived, release: () => release() };
}

function post(
  port: number,
  path: string,
  body: string,
  agent: http.Agent,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function pair(appPort: number, weft2: { a: boolean; b: boolean }): Promise<MeshPair> {
  const p = await startMeshPair(appPort, { a: { weft2: weft2.a }, b: { weft2: weft2.b } });
  closers.push(() => p.close());
  p.pushDestination();
  return p;
}

function agent(): http.Agent {
  const a = new http.Agent({ keepAlive: true, maxSockets: 64 });
  closers.push(() => a.destroy());
  return a;
}

const w2 = (s: Sidecar) => weft2Metrics(s.metrics.registry);
/** TLS connections A dialed to other proxies. */
const meshDials = (p: MeshPair) =>
  p.a.metrics.transport.render().match(/weft_tcp_open_total\{peer="dst",target="mesh"\} (\d+)/)?.[1];

describe('weft.2 between sidecars', () => {
  it('multiplexes concurrent requests on one connection, each with its own response', async () => {
    const { port } = await app();
    const p = await pair(port, { a: true, b: true });
    const a = agent();
    const n = 64;
    const replies = await Promise.all(
      Array.from({ length: n }, (_, i) => post(p.upstreamPort, `/r${i}`, `body-${i}`.repeat(i + 1), a)),
    );
    expect(replies).toEqual(
      Array.from({ length: n }, (_, i) => ({ status: 200, body: `/r${i}:${`body-${i}`.repeat(i + 1)}` })),
    );
    expect(w2(p.b).sessions.get({ side: 'server' })).toBe(1);
    expect(w2(p.a).sessions.get({ side: 'client' })).toBe(1);
    expect(w2(p.b).streams.get({ side: 'server' })).toBeGreaterThan(1);
    expect(p.b.metrics.requests.get({ direction: 'inbound', class: '2xx' })).toBe(n);
  });

  for (const [who, weft2] of [
    ['a weft.1-only server (new client, old server)', { a: true, b: false }],
    ['a weft.1-only client (old client, new server)', { a: false, b: true }],
  ] as const) {
    it(`keeps working with ${who}`, async () => {
      const { port } = await app();
      const p = await pair(port, weft2);
      const a = agent();
      const replies = await Promise.all(
        Array.from({ length: 8 }, (_, i) => post(p.upstreamPort, `/x${i}`, 'b', a)),
      );
      expect(replies.map((r) => r.body)).toEqual(Array.from({ length: 8 }, (_, i) => `/x${i}:b`));
      expect(w2(p.a).sessions.get({ side: 'client' })).toBe(0);
      expect(w2(p.b).sessions.get({ side: 'server' })).toBe(0);
      expect(Number(meshDials(p))).toBeGreaterThanOrEqual(1);
    });
  }

  it("takes a stream's caller identity from the TLS client certificate", async () => {
    const { port } = await app();
    const p = await pair(port, { a: true, b: true });
    const rule = (identity: string) => ({
      name: 'default/no-admin',
      action: 'AUTHORIZATION_ACTION_DENY' as const,
      from: [{ identities: [identity], namespaces: [], unauthenticated: false }],
      to: [{ ports: [], methods: [], paths: ['/admin*'] }],
    });
    const policy = (identity: string) =>
      p.bState.apply(
        response([
          {
            name: 'inbound',
            version: '1',
            kind: 'inboundPolicy',
            inboundPolicy: {
              defaultAction: 'DEFAULT_ACTION_ALLOW_ALL',
              mtlsMode: 'MTLS_MODE_STRICT',
              ports: [],
              rules: [rule(identity)],
            },
          },
        ]),
      );
    const a = agent();
    policy('spiffe://cluster.local/ns/default/sa/someone-else');
    expect((await post(p.upstreamPort, '/admin/x', '', a)).status).toBe(200);
    policy(A_ID);
    expect((await post(p.upstreamPort, '/admin/x', '', a)).status).toBe(403);
    expect(w2(p.b).sessions.get({ side: 'server' })).toBe(1);
  });

  it('a bad frame closes that connection, is counted, and the sidecar keeps serving', async () => {
    const { port } = await app();
    const p = await pair(port, { a: true, b: true });
    const a = agent();
    expect((await post(p.upstreamPort, '/before', '1', a)).body).toBe('/before:1');
    // A peer with a valid certificate that speaks weft.2 badly: an unknown frame type.
    const cert = p.ca.issue(A_ID);
    const bad = guard(
      connect({
        host: '127.0.0.1',
        port: p.bPorts.inbound,
        key: cert.key,
        cert: cert.certChain,
        ca: cert.trustBundle,
        ALPNProtocols: ['weft.2'],
        checkServerIdentity: () => undefined,
      }),
    );
    closers.push(() => bad.destroy());
    await once(bad, 'secureConnect');
    expect(bad.alpnProtocol).toBe('weft.2');
    const closed = new Promise((r) => bad.on('close', r));
    bad.write(Buffer.from([0x42, 0, 0, 0, 0, 1, 0, 0, 0]));
    await closed;
    expect(w2(p.b).protocolErrors.get({ reason: 'unknown-type' })).toBe(1);
    expect((await post(p.upstreamPort, '/after', '2', a)).body).toBe('/after:2');
  });

  it('draining the server sidecar lets a request in flight on a stream finish', async () => {
    const target = await app();
    const p = await pair(target.port, { a: true, b: true });
    const a = agent();
    const pending = post(p.upstreamPort, '/slow', 'x', a);
    await target.arrived;
    const draining = p.b.drain(10_000);
    target.release();
    expect(await pending).toEqual({ status: 200, body: '/slow:x' });
    await draining;
    expect(w2(p.b).sessions.get({ side: 'server' })).toBe(1);
  });
});
