/**
 * HTTP/2 and gRPC attempts in an in-process sidecar over real h2c sockets: retries (listed gRPC
 * status, refused stream, GOAWAY, reset, connect failure), body replay, timeouts, limits, idle.
 */
import { once } from 'node:events';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { Destination__Output } from '@weft/api';
import { afterEach, describe, expect, it } from 'vitest';
import { response } from '../../testing/mesh-pair.js';
import { DiscoveryState } from '../discovery/state.js';
import { defaultProxyOptions } from '../options.js';
import { Sidecar } from '../proxy.js';
import { StaticCertificateSource } from '../tls/certificate-source.js';

const AUTHORITY = 'grpc.shop.svc.cluster.local:80';
const GRPC = 'application/grpc';
const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

interface Seen {
  path: string;
  attempt: string | undefined;
  bytes: number;
  body: string;
}

/**
 * An h2c app answering by path and attempt: `/unavailable-first` fails attempt 1 with a
 * trailers-only gRPC UNAVAILABLE, `/unavailable` always does, `/refuse-first` refuses
 * attempt 1's stream, `/reset-first` resets it, `/hang` never answers; otherwise it echoes.
 */
async function app() {
  const seen: Seen[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const opened: { attempt: string; resolve: () => void }[] = [];
  const server = http2.createServer();
  server.on('stream', (stream, headers) => {
    const path = headers[':path'] as string;
    const attempt = headers['x-weft-attempt'] as string | undefined;
    stream.on('error', () => {});
    for (const w of opened.filter((w) => attempt === w.attempt)) w.resolve();
    if (path === '/refuse-first' && attempt === '1')
      return stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
    if (path === '/goaway-first' && attempt === '1') {
      // GOAWAY naming the stream before this one as the last processed: this one is refused.
      stream.session?.goaway(http2.constants.NGHTTP2_NO_ERROR, (stream.id ?? 1) - 2);
      return;
    }
    if (path === '/unavailable-at-once' && attempt === '1') {
      // Fails before reading any of the body, which the client is still sending.
      stream.respond({ ':status': 200, 'content-type': GRPC, 'grpc-status': '14' }, { endStream: true });
      return;
    }
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      const body = Buffer.concat(chunks);
      seen.push({ path, attempt, bytes: body.length, body: body.length > 100 ? '' : body.toString() });
      for (const w of waiters.filter((w) => seen.length >= w.n)) w.resolve();
      if (path === '/hang') return;
      if (path === '/reset-first' && attempt === '1')
        return stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
      if (path === '/unavailable' || (path === '/unavailable-first' && attempt === '1')) {
        stream.respond(
          { ':status': 200, 'content-type': GRPC, 'grpc-status': '14', 'grpc-message': 'busy' },
          {
            endStream: true,
          },
        );
        return;
      }
      stream.respond({ ':status': 200 }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(`ok:${attempt}:${body.length > 100 ? body.length : body.toString()}`);
    });
  });
  const sessions = new Set<http2.ServerHttp2Session>();
  let closedSessions = 0;
  const sessionClosed: (() => void)[] = [];
  server.on('session', (s) => {
    sessions.add(s);
    s.on('close', () => {
      closedSessions++;
      for (const w of sessionClosed.splice(0)) w();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(
    () =>
      new Promise<void>((r) => {
        for (const s of sessions) s.destroy();
        server.close(() => r());
      }),
  );
  const arrived = (n: number) =>
    seen.length >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve }));
  /** Resolves when the proxy has closed one of its sessions to this app. */
  const sessionGone = () =>
    closedSessions > 0 ? Promise.resolve() : new Promise<void>((resolve) => sessionClosed.push(resolve));
  /** Resolves when a stream for attempt `attempt` has opened. */
  const attemptOpened = (attempt: string) =>
    new Promise<void>((resolve) => opened.push({ attempt, resolve }));
  return { port: (server.address() as AddressInfo).port, seen, arrived, sessionGone, attemptOpened };
}

const sec = (s: number) => ({ seconds: String(Math.floor(s)), nanos: Math.round((s % 1) * 1e9) });

function policy(o: {
  request?: number;
  perTry?: number;
  conditions?: string[];
  attempts?: number;
  idle?: number;
  limits?: { maxRequests: number; maxPendingRequests: number };
}): Destination__Output['policy'] {
  return {
    loadBalancer: 'LOAD_BALANCER_ROUND_ROBIN',
    timeouts: {
      request: o.request === undefined ? null : sec(o.request),
      perTry: o.perTry === undefined ? null : sec(o.perTry),
      idle: o.idle === undefined ? null : sec(o.idle),
    },
    retry: {
      attempts: o.attempts ?? 2,
      conditions: o.conditions ?? ['grpc:unavailable', 'refused-stream', 'gateway-error'],
      backoff: null,
      budget: null,
      perTryTimeout: null,
      retryNonIdempotent: false,
    },
    outlierDetection: { consecutiveFailures: 100, baseEjectionTime: sec(1), maxEjectionPercent: 0 },
    limits: o.limits === undefined ? null : { maxConnections: 0, ...o.limits },
  };
}

/** A sidecar whose upstream listener for AUTHORITY balances over the apps on `ports`; an h2c session to it. */
async function sidecarTo(
  ports: (number | { address: string; port: number })[],
  p: Destination__Output['policy'],
) {
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
  const listening = await sidecar.start();
  closers.push(() => sidecar.close());
  const endpoints = ports.map((e) => ({
    ...(typeof e === 'number' ? { address: '127.0.0.1', port: e } : e),
    identity: '',
    weight: 1,
    zone: '',
    meshed: null,
    labels: {},
  }));
  state.apply(
    response([
      {
        name: AUTHORITY,
        version: '1',
        kind: 'destination',
        destination: {
          authority: AUTHORITY,
          service: 'grpc',
          namespace: 'shop',
          port: 80,
          protocol: 'PROTOCOL_HTTP2',
          routes: [],
          backends: [{ name: 'grpc.shop:80', service: 'grpc', namespace: 'shop', port: 80, endpoints }],
          policy: p,
        },
      },
    ]),
  );
  const session = http2.connect(`http://127.0.0.1:${listening.upstreams[AUTHORITY]}`);
  session.on('error', () => {});
  closers.push(() => {
    session.destroy();
  });
  return { sidecar, session };
}

interface Answer {
  status: number;
  headers: http2.IncomingHttpHeaders;
  body: string;
  trailers: http2.IncomingHttpHeaders;
}

function call(
  session: http2.ClientHttp2Session,
  o: {
    path: string;
    method?: string;
    body?: string | Buffer;
    grpc?: boolean;
    headers?: Record<string, string>;
  },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = session.request({
      ':path': o.path,
      ':method': o.method ?? 'POST',
      ...(o.grpc === true ? { 'content-type': GRPC, te: 'trailers' } : {}),
      ...o.headers,
    });
    let headers: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    req.on('response', (h) => {
      headers = h;
    });
    req.on('trailers', (t) => {
      trailers = t;
    });
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () =>
      resolve({
        status: Number(headers[':status']),
        headers,
        body: Buffer.concat(chunks).toString(),
        trailers,
      }),
    );
    req.on('error', reject);
    req.end(o.body);
  });
}

const attempts = (seen: Seen[]) => seen.map((s) => s.attempt);

describe('HTTP/2 attempts', () => {
  it('retries a gRPC call answered with a listed status (trailers-only), replaying its body', async () => {
    const a = await app();
    const { session, sidecar } = await sidecarTo([a.port], policy({}));
    const r = await call(session, { path: '/unavailable-first', body: 'hello', grpc: true });
    expect(r).toMatchObject({ status: 200, body: 'ok:2:hello', trailers: { 'grpc-status': '0' } });
    expect(a.seen.map((s) => [s.attempt, s.body])).toEqual([
      ['1', 'hello'],
      ['2', 'hello'],
    ]);
    const metrics = sidecar.metrics.registry.render();
    expect(metrics).toContain('weft_proxy_retries_total{backend="grpc.shop:80"} 1');
    expect(metrics).toContain(
      'weft_proxy_upstream_attempts_total{backend="grpc.shop:80",outcome="grpc-14"} 1',
    );
    expect(metrics).toContain('weft_proxy_upstream_attempts_total{backend="grpc.shop:80",outcome="2xx"} 1');
  });

  it('retries while the client is still sending: the new attempt gets the body held and the rest', async () => {
    const a = await app();
    const { session } = await sidecarTo([a.port], policy({}));
    const second = a.attemptOpened('2');
    const req = session.request({ ':path': '/unavailable-at-once', ':method': 'POST', 'content-type': GRPC });
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    const ended = once(req, 'end');
    req.write('part-1;');
    await second;
    req.end('part-2');
    await ended;
    expect(Buffer.concat(chunks).toString()).toBe('ok:2:part-1;part-2');
    expect(a.seen.map((s) => [s.attempt, s.body])).toEqual([['2', 'part-1;part-2']]);
  });

  it('relays a gRPC status that is not listed, after one attempt', async () => {
    const a = await app();
    const { session } = await sidecarTo([a.port], policy({ conditions: ['gateway-error'] }));
    const r = await call(session, { path: '/unavailable-first', body: 'x', grpc: true });
    expect(r.headers['grpc-status']).toBe('14');
    expect(r.headers['grpc-message']).toBe('busy');
    expect(attempts(a.seen)).toEqual(['1']);
  });

  it('does not retry a 100 KiB body, and streams it whole once', async () => {
    const a = await app();
    const { session, sidecar } = await sidecarTo([a.port], policy({}));
    const r = await call(session, { path: '/unavailable', body: Buffer.alloc(100 * 1024, 7), grpc: true });
    expect(r.headers['grpc-status']).toBe('14');
    expect(a.seen.map((s) => [s.attempt, s.bytes])).toEqual([['1', 100 * 1024]]);
    expect(sidecar.metrics.registry.render()).toContain(
      'weft_proxy_retry_stops_total{backend="grpc.shop:80",reason="body-too-large"} 1',
    );
  });

  it('retries a POST whose stream was refused (nothing was processed)', async () => {
    const a = await app();
    const { session } = await sidecarTo([a.port], policy({}));
    const r = await call(session, { path: '/refuse-first', body: 'once' });
    expect(r).toMatchObject({ status: 200, body: 'ok:2:once' });
    expect(attempts(a.seen)).toEqual(['2']);
  });

  it('retries a POST whose stream a GOAWAY left unprocessed, on a new session', async () => {
    const a = await app();
    const { session, sidecar } = await sidecarTo([a.port], policy({}));
    expect((await call(session, { path: '/warm', body: 'w' })).body).toBe('ok:1:w');
    const r = await call(session, { path: '/goaway-first', body: 'g' });
    expect(r).toMatchObject({ status: 200, body: 'ok:2:g' });
    expect(a.seen.map((s) => [s.path, s.attempt])).toEqual([
      ['/warm', '1'],
      ['/goaway-first', '2'],
    ]);
    expect(sidecar.metrics.registry.render()).toContain(
      'weft_proxy_upstream_attempts_total{backend="grpc.shop:80",outcome="refused-stream"} 1',
    );
  });

  it('retries a reset GET on `reset`, never a reset POST', async () => {
    const a = await app();
    const { session } = await sidecarTo([a.port], policy({ conditions: ['reset'] }));
    const post = await call(session, { path: '/reset-first', body: 'p' });
    expect(post.status).toBe(502);
    expect(post.body).toMatch(/connection reset before a response \(1 attempt\)/);
    const get = await call(session, { path: '/reset-first', method: 'GET' });
    expect(get).toMatchObject({ status: 200, body: 'ok:2:' });
  });

  it('retries after a connect failure on another endpoint', async () => {
    const a = await app();
    // Nothing listens on 127.0.0.2 at a port held on 127.0.0.1: refused, and no other test can take it.
    const held = await app();
    const { session, sidecar } = await sidecarTo(
      [a.port, { address: '127.0.0.2', port: held.port }],
      policy({}),
    );
    for (let i = 0; i < 4; i++)
      expect((await call(session, { path: '/x', body: String(i) })).status).toBe(200);
    // Strict rotation picks the dead endpoint at least once in four requests; each was retried.
    expect(sidecar.metrics.registry.render()).toMatch(
      /weft_proxy_upstream_attempts_total\{backend="grpc.shop:80",outcome="connect-failure"\} [1-9]/,
    );
  });

  it('answers 504 naming the per-try timeout, or gRPC DEADLINE_EXCEEDED trailers-only', async () => {
    const a = await app();
    const { session } = await sidecarTo([a.port], policy({ perTry: 0.05 }));
    const plain = await call(session, { path: '/hang', method: 'GET' });
    expect(plain.status).toBe(504);
    expect(plain.body).toMatch(/per-try timeout of 50 ms/);
    expect(attempts(a.seen)).toEqual(['1', '2']);
    const grpc = await call(session, { path: '/hang', body: 'b', grpc: true });
    expect(grpc.status).toBe(200);
    expect(grpc.headers['grpc-status']).toBe('4');
    expect(decodeURIComponent(grpc.headers['grpc-message'] as string)).toMatch(/per-try timeout of 50 ms/);
  });

  it("answers 504 naming the request timeout; a gRPC call's own grpc-timeout shortens it", async () => {
    const a = await app();
    const { session } = await sidecarTo([a.port], policy({ request: 0.2 }));
    const r = await call(session, { path: '/hang', method: 'GET' });
    expect(r.status).toBe(504);
    expect(r.body).toMatch(/request timeout of 200 ms/);
    const grpc = await call(session, { path: '/hang', grpc: true, headers: { 'grpc-timeout': '100m' } });
    expect(grpc.headers['grpc-status']).toBe('4');
    expect(decodeURIComponent(grpc.headers['grpc-message'] as string)).toMatch(/request timeout of 100 ms/);
  });

  it('fails fast with 503 (gRPC UNAVAILABLE) beyond the active and pending limits', async () => {
    const a = await app();
    const { session } = await sidecarTo(
      [a.port],
      policy({ limits: { maxRequests: 1, maxPendingRequests: 1 } }),
    );
    void call(session, { path: '/hang', method: 'GET' }).catch(() => {});
    await a.arrived(1);
    // Streams on one session reach the limiter in order: the first waits, the second is refused.
    void call(session, { path: '/hang', method: 'GET' }).catch(() => {});
    const plain = call(session, { path: '/x', method: 'GET' });
    const grpc = call(session, { path: '/x', body: 'b', grpc: true });
    expect((await plain).status).toBe(503);
    expect((await plain).body).toMatch(/circuit open: 1 requests active and 1 pending/);
    expect((await grpc).headers['grpc-status']).toBe('14');
    expect(decodeURIComponent((await grpc).headers['grpc-message'] as string)).toMatch(/circuit open/);
  });

  it("closes an idle upstream session after the policy's idle timeout", async () => {
    const a = await app();
    const { session } = await sidecarTo([a.port], policy({ idle: 0.05 }));
    expect((await call(session, { path: '/x', method: 'GET' })).status).toBe(200);
    // Without the policy the session would stay open (the test would time out here).
    await a.sessionGone();
    expect((await call(session, { path: '/y', method: 'GET' })).body).toBe('ok:1:');
  });
});
