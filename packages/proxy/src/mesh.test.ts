import { once } from 'node:events';
import http from 'node:http';
import { type AddressInfo, connect, createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { A_ID, B_AUTHORITY, B_ID, type MeshPair, response, startMeshPair } from '../testing/mesh-pair.js';

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

async function httpApp(): Promise<{
  port: number;
  seen: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }[];
}> {
  const seen: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      if (req.url === '/chunked') {
        res.write('part1-');
        res.end('part2');
        return;
      }
      res.setHeader('x-app', 'b');
      res.end(`echo:${req.method}:${req.url}:${body}`);
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
  return { port: (server.address() as AddressInfo).port, seen };
}

function request(
  port: number,
  opts: http.RequestOptions & { body?: string },
  agent?: http.Agent,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, agent, ...opts }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

async function pair(appPort: number, extra?: Parameters<typeof startMeshPair>[1]): Promise<MeshPair> {
  const p = await startMeshPair(appPort, extra);
  closers.push(() => p.close());
  return p;
}

describe('two sidecars over mTLS', () => {
  it('carries HTTP/1.1 keep-alive, chunked bodies and strips hop-by-hop headers', async () => {
    const app = await httpApp();
    const p = await pair(app.port);
    p.pushDestination();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    closers.push(() => agent.destroy());
    const r1 = await request(
      p.upstreamPort,
      {
        path: '/one',
        headers: {
          'x-custom': 'v',
          'keep-alive': 'timeout=5',
          connection: 'x-custom-hop',
          'x-custom-hop': 'drop',
        },
      },
      agent,
    );
    expect(r1.status).toBe(200);
    expect(r1.body).toBe('echo:GET:/one:');
    expect(r1.headers['x-app']).toBe('b');
    const r2 = await request(
      p.upstreamPort,
      { method: 'POST', path: '/two', body: 'hello', headers: { 'transfer-encoding': 'chunked' } },
      agent,
    );
    expect(r2.body).toBe('echo:POST:/two:hello');
    const r3 = await request(p.upstreamPort, { path: '/chunked' }, agent);
    expect(r3.body).toBe('part1-part2');
    expect(r3.headers['transfer-encoding']).toBe('chunked');
    expect(app.seen[0]!.headers['x-custom']).toBe('v');
    expect(app.seen[0]!.headers['x-custom-hop']).toBeUndefined();
    expect(app.seen[0]!.headers['keep-alive']).toBeUndefined();
    expect(p.b.metrics.requests.get({ direction: 'inbound', class: '2xx' })).toBe(3);
    expect(p.a.metrics.connections.get({ listener: 'upstream' })).toBe(1);
  });

  it('authorizes inbound requests per policy and names the denying policy in the 403', async () => {
    const app = await httpApp();
    const p = await pair(app.port);
    p.pushDestination();
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
            rules: [
              {
                name: 'default/no-admin',
                action: 'AUTHORIZATION_ACTION_DENY',
                from: [{ identities: [A_ID], namespaces: [], unauthenticated: false }],
                to: [{ ports: [], methods: [], paths: ['/admin*'] }],
              },
            ],
          },
        },
      ]),
    );
    expect((await request(p.upstreamPort, { path: '/ok' })).status).toBe(200);
    const denied = await request(p.upstreamPort, { path: '/admin/x' });
    expect(denied.status).toBe(403);
    expect(denied.body).toContain('default/no-admin');
    expect(app.seen.map((s) => s.url)).toEqual(['/ok']);
    expect(p.b.metrics.authzDenied.get({ direction: 'inbound', policy: 'default/no-admin' })).toBe(1);
  });

  it('refuses an endpoint whose certificate carries the wrong identity, and counts it', async () => {
    const app = await httpApp();
    const p = await pair(app.port);
    p.pushDestination({ identity: 'spiffe://cluster.local/ns/default/sa/someone-else' });
    const r = await request(p.upstreamPort, { path: '/' });
    expect(r.status).toBe(503);
    expect(r.body).toContain(B_ID);
    expect(app.seen).toHaveLength(0);
    expect(
      p.a.metrics.identityMismatch.get({ expected: 'spiffe://cluster.local/ns/default/sa/someone-else' }),
    ).toBe(1);
  });

  it('refuses plaintext on a strict inbound port and accepts it (unauthenticated) when permissive', async () => {
    const app = await httpApp();
    const strict = await pair(app.port, { b: { defaultMtlsMode: 'strict' } });
    const s = connect(strict.bPorts.inbound, '127.0.0.1');
    s.write('GET / HTTP/1.1\r\nhost: b\r\n\r\n');
    const got: Buffer[] = [];
    s.on('data', (d: Buffer) => got.push(d));
    await once(s, 'close');
    expect(Buffer.concat(got).length).toBe(0);
    expect(strict.b.metrics.connectionsRefused.get({ listener: 'inbound', reason: 'plaintext-strict' })).toBe(
      1,
    );
    const permissive = await pair(app.port);
    const r = await request(permissive.bPorts.inbound, { path: '/plain', headers: { host: 'b' } });
    expect(r.body).toBe('echo:GET:/plain:');
  });

  it('relays opaque TCP with half-close in both directions', async () => {
    const echo = createServer({ allowHalfOpen: true }, (sock) => {
      const chunks: Buffer[] = [];
      sock.on('data', (c: Buffer) => chunks.push(c));
      sock.on('end', () => sock.end(`echo:${Buffer.concat(chunks).toString()}`));
    });
    echo.listen(0, '127.0.0.1');
    await once(echo, 'listening');
    closers.push(() => new Promise<void>((r) => echo.close(() => r())));
    const p = await pair((echo.address() as AddressInfo).port);
    p.pushDestination({ protocol: 'PROTOCOL_TCP' });
    const c = connect({ port: p.upstreamPort, host: '127.0.0.1', allowHalfOpen: true });
    const got: Buffer[] = [];
    c.on('data', (d: Buffer) => got.push(d));
    c.write('ping-');
    c.end('pong');
    await once(c, 'end');
    expect(Buffer.concat(got).toString()).toBe('echo:ping-pong');
    c.destroy();
  });

  it('answers 503 naming why when discovery does not answer in time', async () => {
    const app = await httpApp();
    const p = await pair(app.port, { a: { discoveryWaitMs: 50 } });
    const r = await request(p.upstreamPort, { path: '/' });
    expect(r.status).toBe(503);
    expect(r.body).toContain(`no answer from the control plane for "${B_AUTHORITY}"`);
  });
});

describe('drain', () => {
  it('finishes an in-flight request, then closes', async () => {
    let release: () => void = () => {};
    let onArrive: () => void = () => {};
    const arrived = new Promise<void>((r) => {
      onArrive = r;
    });
    const slow = http.createServer((_req, res) => {
      release = () => res.end('late but delivered');
      onArrive();
    });
    slow.listen(0, '127.0.0.1');
    await once(slow, 'listening');
    closers.push(
      () =>
        new Promise<void>((r) => {
          slow.closeAllConnections();
          slow.close(() => r());
        }),
    );
    const p = await pair((slow.address() as AddressInfo).port);
    p.pushDestination();
    const pending = request(p.upstreamPort, { path: '/slow' });
    await arrived;
    const draining = p.a.drain(10_000);
    expect(p.a.notReadyReason()).toBe('draining');
    release();
    expect(await pending).toMatchObject({ status: 200, body: 'late but delivered' });
    await draining;
  });
});
