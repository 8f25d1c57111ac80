/**
 * HTTP/1 attempts in one in-process sidecar: timeouts answer 504 naming which one fired,
 * retried bodies arrive whole (chunked too), the attempt header is the proxy's own, and a
 * dropped response does not leak into the client's connection.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Destination__Output } from '@weft/api';
import { afterEach, describe, expect, it } from 'vitest';
import { response } from '../../testing/mesh-pair.js';
import { DiscoveryState } from '../discovery/state.js';
import { defaultProxyOptions } from '../options.js';
import { Sidecar } from '../proxy.js';
import { StaticCertificateSource } from '../tls/certificate-source.js';

const AUTHORITY = 'api.shop.svc.cluster.local:80';
const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

interface Seen {
  method: string;
  url: string;
  attempt: string | undefined;
  body: string;
}

/** An app whose answer depends on the attempt number and path: /hang never answers, /slow after 1 s. */
async function app() {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const attempt = req.headers['x-weft-attempt'] as string | undefined;
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        attempt,
        body: Buffer.concat(chunks).toString(),
      });
      if (req.url === '/hang') return;
      if (req.url === '/slow') {
        setTimeout(() => res.end('late'), 1000);
        return;
      }
      if (req.url === '/first-fails' && attempt === '1') {
        res.writeHead(503).end('first attempt fails');
        return;
      }
      res.end(`ok:${attempt}`);
    });
  });
  // The app never closes idle connections itself: only the proxy's idle timeout does.
  server.keepAliveTimeout = 0;
  const closedConnection: (() => void)[] = [];
  server.on('connection', (socket) =>
    socket.on('close', () => {
      for (const w of closedConnection.splice(0)) w();
    }),
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  /** Resolves when a connection to the app closes. */
  const connectionGone = () => new Promise<void>((resolve) => closedConnection.push(resolve));
  return { port: (server.address() as AddressInfo).port, seen, connectionGone };
}

const sec = (s: number) => ({ seconds: String(Math.floor(s)), nanos: Math.round((s % 1) * 1e9) });

async function sidecarTo(
  appPort: number,
  policy: Destination__Output['policy'],
): Promise<{ port: number; sidecar: Sidecar }> {
  const state = new DiscoveryState();
  const sidecar = new Sidecar(
    defaultProxyOptions({
      namespace: 'shop',
      service: 'client',
      listenHost: '127.0.0.1',
      adminHost: '127.0.0.1',
      inboundPort: 0,
      outboundPort: 0,
      adminPort: 0,
      upstreams: [{ authority: AUTHORITY, host: '127.0.0.1', port: 0 }],
    }),
    { certificates: new StaticCertificateSource(), resolver: state, policies: state },
  );
  const ports = await sidecar.start();
  closers.push(() => sidecar.close());
  const endpoint = {
    address: '127.0.0.1',
    port: appPort,
    identity: '',
    weight: 1,
    zone: '',
    meshed: null,
    labels: {},
  };
  state.apply(
    response([
      {
        name: AUTHORITY,
        version: '1',
        kind: 'destination',
        destination: {
          authority: AUTHORITY,
          service: 'api',
          namespace: 'shop',
          port: 80,
          protocol: 'PROTOCOL_HTTP',
          routes: [],
          backends: [
            { name: 'api.shop:80', service: 'api', namespace: 'shop', port: 80, endpoints: [endpoint] },
          ],
          policy,
        },
      },
    ]),
  );
  return { port: ports.upstreams[AUTHORITY] as number, sidecar };
}

function policy(o: {
  request?: number;
  perTry?: number;
  idle?: number;
  conditions?: string[];
}): Destination__Output['policy'] {
  return {
    loadBalancer: 'LOAD_BALANCER_UNSPECIFIED',
    timeouts: {
      request: o.request === undefined ? null : sec(o.request),
      perTry: o.perTry === undefined ? null : sec(o.perTry),
      idle: o.idle === undefined ? null : sec(o.idle),
    },
    retry: {
      attempts: 2,
      conditions: o.conditions ?? ['5xx'],
      backoff: null,
      budget: null,
      perTryTimeout: null,
      retryNonIdempotent: false,
    },
    outlierDetection: { consecutiveFailures: 100, baseEjectionTime: sec(1), maxEjectionPercent: 0 },
    limits: null,
  };
}

function call(
  port: number,
  o: { path: string; method?: string; headers?: Record<string, string>; chunks?: string[] },
  agent?: http.Agent,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: o.path, method: o.method ?? 'GET', headers: o.headers ?? {}, agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    for (const c of o.chunks ?? []) req.write(c);
    req.end();
  });
}

describe('HTTP/1 attempts', () => {
  it('answers 504 naming the per-try timeout after every attempt timed out', async () => {
    const a = await app();
    const { port } = await sidecarTo(a.port, policy({ perTry: 0.2 }));
    const r = await call(port, { path: '/hang' });
    expect(r.status).toBe(504);
    expect(r.body).toMatch(/per-try timeout of 200 ms/);
    expect(a.seen.map((s) => s.attempt)).toEqual(['1', '2']);
  });

  it('answers 504 naming the request timeout', async () => {
    const a = await app();
    const { port } = await sidecarTo(a.port, policy({ request: 0.2 }));
    const r = await call(port, { path: '/slow' });
    expect(r.status).toBe(504);
    expect(r.body).toMatch(/request timeout of 200 ms/);
  });

  it('replays a chunked body on a retry and relays only the final response', async () => {
    const a = await app();
    const { port } = await sidecarTo(a.port, policy({}));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    closers.push(() => agent.destroy());
    const r = await call(
      port,
      { path: '/first-fails', method: 'PUT', chunks: ['part-1;', 'part-2;', 'part-3'] },
      agent,
    );
    expect(r).toEqual({ status: 200, body: 'ok:2' });
    expect(a.seen.map((s) => [s.attempt, s.body])).toEqual([
      ['1', 'part-1;part-2;part-3'],
      ['2', 'part-1;part-2;part-3'],
    ]);
    // The same client connection carries the next request cleanly.
    expect(await call(port, { path: '/next' }, agent)).toEqual({ status: 200, body: 'ok:1' });
  });

  it('replaces a client-supplied attempt header with its own', async () => {
    const a = await app();
    const { port } = await sidecarTo(a.port, policy({}));
    await call(port, { path: '/x', headers: { 'x-weft-attempt': '7' } });
    expect(a.seen[0]?.attempt).toBe('1');
  });

  it("closes an idle upstream connection after the policy's idle timeout", async () => {
    const a = await app();
    const { port } = await sidecarTo(a.port, policy({ idle: 0.05 }));
    const gone = a.connectionGone();
    expect(await call(port, { path: '/x' })).toEqual({ status: 200, body: 'ok:1' });
    // The pool's own idle timeout is 60 s: only the policy's closes it in time for the test.
    await gone;
    expect(await call(port, { path: '/y' })).toEqual({ status: 200, body: 'ok:1' });
  });
});
