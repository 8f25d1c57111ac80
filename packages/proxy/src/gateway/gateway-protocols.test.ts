/**
 * The gateway's client protocols with real clients: HTTPS with SNI across two ECDSA P-256
 * certificates, HTTP/1.1 and h2 over TLS (ALPN), h2c by prior knowledge, gRPC (plaintext and
 * TLS), and a certificate rotation under continuous load with no failed request.
 */
import { X509Certificate } from 'node:crypto';
import http2 from 'node:http2';
import https from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nativeTls, nativeTlsDisabled } from './native-tls.js';
import { createTestCa, type TestCertificate } from './test-certificates.js';
import { type EchoApp, type GatewayBed, metricValue, request, startGatewayBed } from './test-harness.js';

const ca = createTestCa();
let api: TestCertificate;
let wild: TestCertificate;
let grpcServer: grpc.Server;
let grpcPort: number;
/** A second gRPC server, the mirror of the h2c GRPCRoute: it records the calls it gets. */
let shadowGrpc: grpc.Server;
let shadowGrpcPort: number;
const shadowCalls: { message: string; forwardedFor: string | undefined }[] = [];
let bed: GatewayBed<'web'>;

const bytes = {
  requestSerialize: (b: Buffer) => b,
  requestDeserialize: (b: Buffer) => b,
  responseSerialize: (b: Buffer) => b,
  responseDeserialize: (b: Buffer) => b,
};
const SERVICE: grpc.ServiceDefinition = {
  Echo: { path: '/test.Bytes/Echo', requestStream: false, responseStream: false, ...bytes },
  Missing: { path: '/test.Other/Missing', requestStream: false, responseStream: false, ...bytes },
  Wait: { path: '/test.Slow/Wait', requestStream: false, responseStream: false, ...bytes },
};
/** Calls of /test.Slow/Wait: never answered (the route's timeout is what ends them). */
let waiting = 0;
const Client = grpc.makeGenericClientConstructor(SERVICE, 'Bytes');

function config(web: EchoApp, apiCert: TestCertificate) {
  const cert = (name: string, c: TestCertificate) => ({
    name,
    certificateChainPem: c.chainPem,
    privateKeyPem: c.keyPem,
  });
  const webRoute = { name: 'HTTPRoute/test/web/0', backends: [{ authority: web.authority, weight: 1 }] };
  const grpcRoute = {
    name: 'GRPCRoute/test/echo/0',
    grpc: true,
    matches: [{ path: { prefix: '/test.Bytes/' } }],
    backends: [{ authority: `127.0.0.1:${grpcPort}`, weight: 1 }],
  };
  // A GRPCRoute with a request timeout to a backend outside the mesh (the gateway's own deadline).
  const slowRoute = {
    name: 'GRPCRoute/test/slow/0',
    grpc: true,
    matches: [{ path: { prefix: '/test.Slow/' } }],
    requestTimeout: '0.3s',
    backends: [{ authority: `127.0.0.1:${grpcPort}`, weight: 1 }],
  };
  return {
    listeners: [
      {
        name: 'test/gw/api',
        port: 443,
        protocol: 'GATEWAY_LISTENER_PROTOCOL_HTTPS',
        hostname: 'api.example.com',
        certificates: [cert('test/api-tls', apiCert)],
        routes: [grpcRoute, webRoute],
      },
      {
        name: 'test/gw/wild',
        port: 443,
        protocol: 'GATEWAY_LISTENER_PROTOCOL_HTTPS',
        hostname: '*.example.com',
        certificates: [cert('test/wild-tls', wild)],
        routes: [webRoute],
      },
      {
        name: 'test/gw/h2c',
        port: 80,
        protocol: 'GATEWAY_LISTENER_PROTOCOL_HTTP',
        // On h2c, gRPC calls are mirrored too (their body is read by a single h2 forward), to
        // another gRPC server: the copy goes over HTTP/2, the only protocol gRPC servers speak.
        routes: [
          slowRoute,
          { ...grpcRoute, filters: [{ requestMirror: { authority: `127.0.0.1:${shadowGrpcPort}` } }] },
          webRoute,
        ],
      },
    ],
  };
}

beforeAll(async () => {
  api = ca.issue(['api.example.com']);
  wild = ca.issue(['*.example.com']);
  grpcServer = new grpc.Server();
  grpcServer.addService(SERVICE, {
    Echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, done: grpc.sendUnaryData<Buffer>) =>
      done(null, Buffer.concat([Buffer.from('echo:'), call.request])),
    Missing: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, done: grpc.sendUnaryData<Buffer>) =>
      done(null, Buffer.from('should not be reached')),
    Wait: () => {
      waiting++;
    },
  });
  grpcPort = await new Promise<number>((resolve, reject) =>
    grpcServer.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  shadowGrpc = new grpc.Server();
  shadowGrpc.addService(SERVICE, {
    Echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, done: grpc.sendUnaryData<Buffer>) => {
      const xff = call.metadata.get('x-forwarded-for')[0];
      shadowCalls.push({
        message: call.request.toString(),
        forwardedFor: xff === undefined ? undefined : String(xff),
      });
      done(null, Buffer.from('shadow'));
    },
    Missing: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, done: grpc.sendUnaryData<Buffer>) =>
      done(null, Buffer.from('')),
    Wait: () => {},
  });
  shadowGrpcPort = await new Promise<number>((resolve, reject) =>
    shadowGrpc.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  bed = await startGatewayBed(['web'], ({ web }) => config(web, api));
}, 30_000);

afterAll(async () => {
  await bed?.stop();
  grpcServer?.forceShutdown();
  shadowGrpc?.forceShutdown();
});

/** The status of a request with Host `host` on a TLS connection whose SNI is api.example.com. */
function apiConnectionStatus(host: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    https
      .get(
        {
          host: '127.0.0.1',
          port: bed.gw.port(443),
          servername: 'api.example.com',
          headers: { host },
          ca: ca.caPem,
          agent: false,
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      )
      .on('error', reject);
  });
}

/** The serial of the certificate the gateway presents for `servername` (undefined: no SNI). */
function presented(servername: string | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect(
      {
        host: '127.0.0.1',
        port: bed.gw.port(443),
        ca: ca.caPem,
        ...(servername === undefined ? {} : { servername }),
        checkServerIdentity: () => undefined,
      },
      () => {
        const serial = s.getPeerX509Certificate()?.serialNumber ?? '';
        s.end();
        resolve(serial);
      },
    );
    s.on('error', reject);
  });
}

const serialOf = (c: TestCertificate) => new X509Certificate(c.chainPem).serialNumber;

function httpsGet(
  host: string,
  agent: https.Agent | false = false,
): Promise<{ status: number; body: string; serial: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: bed.gw.port(443),
        servername: host,
        headers: { host },
        ca: ca.caPem,
        agent,
        path: '/tls',
      },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => {
          body += d.toString();
        });
        const serial =
          (res.socket as import('node:tls').TLSSocket).getPeerX509Certificate()?.serialNumber ?? '';
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, serial }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function h2Get(
  session: http2.ClientHttp2Session,
  authority: string,
  path = '/h2',
): Promise<{ status: number; body: string; internalHeader: unknown }> {
  return new Promise((resolve, reject) => {
    const s = session.request({ ':path': path, ':authority': authority });
    let status = 0;
    let body = '';
    let internalHeader: unknown;
    s.on('response', (h) => {
      status = Number(h[':status']);
      internalHeader = h['x-weft-denied-by'];
    });
    s.on('data', (d: Buffer) => {
      body += d.toString();
    });
    s.on('end', () => resolve({ status, body, internalHeader }));
    s.on('error', reject);
    s.end();
  });
}

function unary(client: grpc.Client, method: 'Echo' | 'Missing', body: string) {
  return new Promise<{ ok: true; body: string } | { ok: false; code: number }>((resolve) => {
    const fn = (client as unknown as Record<string, (...a: unknown[]) => void>)[method]!;
    fn.call(
      client,
      Buffer.from(body),
      new grpc.Metadata(),
      { deadline: Date.now() + 10_000 },
      (err: grpc.ServiceError | null, res: Buffer) => {
        resolve(err ? { ok: false, code: err.code } : { ok: true, body: res.toString() });
      },
    );
  });
}

describe('gateway client protocols', () => {
  it('terminates TLS in the native front unless turned off (gateway-node-tls.test.ts runs this file on node:tls)', () => {
    expect(nativeTlsDisabled() || nativeTls() !== undefined).toBe(true);
  });

  it('picks the certificate by SNI: exact listener over wildcard, a default without SNI', async () => {
    expect(await presented('api.example.com')).toBe(serialOf(api));
    expect(await presented('www.example.com')).toBe(serialOf(wild));
    expect(await presented(undefined)).toBe(serialOf(api));
  });

  it('serves HTTP/1.1 over TLS, picks the listener by Host, and says https in x-forwarded-proto', async () => {
    const r = await httpsGet('api.example.com');
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body).headers['x-forwarded-proto']).toBe('https');
    expect((await httpsGet('www.example.com')).status).toBe(200);
    // SNI picked a certificate, but no listener on the port serves this Host.
    expect(await apiConnectionStatus('nothing.test')).toBe(404);
    // SNI chose the api listener; a Host of the wildcard listener on that connection is misdirected.
    expect(await apiConnectionStatus('www.example.com')).toBe(421);
  });

  it('serves h2 over TLS (ALPN) and h2c by prior knowledge', async () => {
    const tls = http2.connect(`https://127.0.0.1:${bed.gw.port(443)}`, {
      ca: ca.caPem,
      servername: 'api.example.com',
    });
    try {
      const r = await h2Get(tls, 'api.example.com');
      expect(r.status).toBe(200);
      expect(JSON.parse(r.body).headers['x-forwarded-proto']).toBe('https');
      expect(tls.alpnProtocol).toBe('h2');
      expect((await h2Get(tls, 'www.example.com')).status).toBe(421);
    } finally {
      tls.close();
    }
    const h2c = http2.connect(`http://127.0.0.1:${bed.gw.port(80)}`);
    try {
      const r = await h2Get(h2c, 'anything.test', '/plain');
      expect(r.status).toBe(200);
      expect(JSON.parse(r.body)).toMatchObject({ app: 'web', url: '/plain' });
      expect(r.internalHeader).toBeUndefined();
      // A streamed body without content-length reaches the HTTP/1.1 app whole (chunked).
      const post = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const s = h2c.request({ ':method': 'POST', ':path': '/upload', ':authority': 'anything.test' });
        let status = 0;
        let body = '';
        s.on('response', (h) => {
          status = Number(h[':status']);
        });
        s.on('data', (d: Buffer) => {
          body += d.toString();
        });
        s.on('end', () => resolve({ status, body }));
        s.on('error', reject);
        for (let i = 0; i < 10; i++) s.write(Buffer.alloc(10_000, i));
        s.end();
      });
      expect(post.status).toBe(200);
      expect(JSON.parse(post.body)).toMatchObject({ url: '/upload', bodyBytes: 100_000 });
    } finally {
      h2c.close();
    }
  });

  it('carries gRPC over h2c and TLS, and answers an unrouted method with a gRPC status', async () => {
    const plain = new Client(`127.0.0.1:${bed.gw.port(80)}`, grpc.credentials.createInsecure());
    const secure = new Client(
      `127.0.0.1:${bed.gw.port(443)}`,
      grpc.credentials.createSsl(Buffer.from(ca.caPem)),
      {
        'grpc.ssl_target_name_override': 'api.example.com',
        'grpc.default_authority': 'api.example.com',
      },
    );
    try {
      expect(await unary(plain, 'Echo', 'hi')).toEqual({ ok: true, body: 'echo:hi' });
      expect(await unary(secure, 'Echo', 'there')).toEqual({ ok: true, body: 'echo:there' });
      // /test.Other/Missing matches no GRPCRoute; the HTTPRoute after it takes it to an HTTP/1 app,
      // which is no gRPC server: the client sees a gRPC error, never a hang.
      const missing = await unary(plain, 'Missing', 'x');
      expect(missing.ok).toBe(false);
    } finally {
      plain.close();
      secure.close();
    }
  });

  it('mirrors a gRPC call to a gRPC server: the copy goes over HTTP/2 with its body and edits', async () => {
    const plain = new Client(`127.0.0.1:${bed.gw.port(80)}`, grpc.credentials.createInsecure());
    try {
      const before = shadowCalls.length;
      const sent = metricValue(await bed.gw.metrics(), 'weft_gateway_mirror_requests_total', {
        result: 'sent',
      });
      const message = 'mirror-me'.repeat(100);
      expect(await unary(plain, 'Echo', message)).toEqual({ ok: true, body: `echo:${message}` });
      await expect.poll(() => shadowCalls.length, { timeout: 10_000 }).toBe(before + 1);
      // The whole message, and the gateway's request edits (the forwarded headers) with it.
      expect(shadowCalls.at(-1)).toEqual({ message, forwardedFor: '127.0.0.1' });
      await expect
        .poll(async () =>
          metricValue(await bed.gw.metrics(), 'weft_gateway_mirror_requests_total', { result: 'sent' }),
        )
        .toBe(sent + 1);
    } finally {
      plain.close();
    }
  });

  it("applies a GRPCRoute's request timeout to a backend outside the mesh as DEADLINE_EXCEEDED", async () => {
    const plain = new Client(`127.0.0.1:${bed.gw.port(80)}`, grpc.credentials.createInsecure());
    try {
      const err = await new Promise<grpc.ServiceError | null>((resolve) => {
        const fn = (plain as unknown as Record<string, (...a: unknown[]) => void>).Wait!;
        // The client's own deadline is far away: the answer is the gateway's.
        fn.call(plain, Buffer.from('x'), new grpc.Metadata(), { deadline: Date.now() + 60_000 }, resolve);
      });
      expect(err?.code).toBe(grpc.status.DEADLINE_EXCEEDED);
      expect(err?.details).toContain("route's 300 ms timeout");
      expect(waiting).toBeGreaterThanOrEqual(1);
    } finally {
      plain.close();
    }
  });

  it('rotates a certificate under continuous load with no failed request; open connections continue', async () => {
    const keepAlive = http2.connect(`https://127.0.0.1:${bed.gw.port(443)}`, {
      ca: ca.caPem,
      servername: 'api.example.com',
    });
    expect((await h2Get(keepAlive, 'api.example.com')).status).toBe(200);
    const next = ca.issue(['api.example.com']);
    let running = true;
    let ok = 0;
    const failures: string[] = [];
    const seen = new Set<string>();
    const worker = async () => {
      while (running) {
        try {
          const r = await httpsGet('api.example.com');
          if (r.status === 200) ok++;
          else failures.push(`status ${r.status}`);
          seen.add(r.serial);
        } catch (err) {
          failures.push(String(err));
        }
      }
    };
    const workers = [worker(), worker(), worker(), worker()];
    await expect.poll(() => ok, { timeout: 10_000 }).toBeGreaterThan(20);
    await bed.gw.apply(config(bed.apps.web, next));
    await expect.poll(() => seen.has(serialOf(next)), { timeout: 10_000 }).toBe(true);
    const after = ok;
    await expect.poll(() => ok, { timeout: 10_000 }).toBeGreaterThan(after + 20);
    running = false;
    await Promise.all(workers);
    expect(failures).toEqual([]);
    expect(seen).toEqual(new Set([serialOf(api), serialOf(next)]));
    // The h2 connection opened before the rotation keeps working on its old handshake.
    expect((await h2Get(keepAlive, 'api.example.com')).status).toBe(200);
    keepAlive.close();
    expect(await presented('api.example.com')).toBe(serialOf(next));
    const m = await bed.gw.metrics();
    expect(metricValue(m, 'weft_gateway_tls_handshakes_total', { result: 'ok' })).toBeGreaterThan(40);
    expect(metricValue(m, 'weft_gateway_tls_handshake_failures_total')).toBe(0);
    // The plaintext port served throughout too.
    expect((await request(bed.gw.port(80))).status).toBe(200);
  }, 60_000);
});
