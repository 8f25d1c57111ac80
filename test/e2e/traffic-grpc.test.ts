/**
 * gRPC through a `weft proxy` process, end to end: a real @grpc/grpc-js server that fails the
 * first call with UNAVAILABLE, a real grpc-js client (its own retries off) that sees success
 * because the proxy retries on `grpc:unavailable`; and a call the server never answers, which
 * the client sees end with DEADLINE_EXCEEDED from the proxy's request timeout.
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { closeAgent } from './traffic-harness.js';
import {
  backendOf,
  destinationOf,
  type ProxyProcess,
  startControlPlane,
  startProxy,
} from './traffic-mesh.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(() => closeAgent());

const bytes = {
  requestSerialize: (b: Buffer) => b,
  requestDeserialize: (b: Buffer) => b,
  responseSerialize: (b: Buffer) => b,
  responseDeserialize: (b: Buffer) => b,
};
/** A raw-bytes service: Echo answers its request, Hang never answers. */
const SERVICE: grpc.ServiceDefinition = {
  Echo: { path: '/test.Bytes/Echo', requestStream: false, responseStream: false, ...bytes },
  Hang: { path: '/test.Bytes/Hang', requestStream: false, responseStream: false, ...bytes },
};
const Client = grpc.makeGenericClientConstructor(SERVICE, 'Bytes');

/** A grpc-js server whose first Echo call fails with UNAVAILABLE; records each call's attempt header. */
async function server(): Promise<{ port: number; attempts: string[] }> {
  const attempts: string[] = [];
  let calls = 0;
  const s = new grpc.Server();
  s.addService(SERVICE, {
    Echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, done: grpc.sendUnaryData<Buffer>) => {
      attempts.push(String(call.metadata.get('x-weft-attempt')[0]));
      calls++;
      if (calls === 1) done({ code: grpc.status.UNAVAILABLE, details: 'warming up' });
      else done(null, Buffer.concat([Buffer.from('echo:'), call.request]));
    },
    Hang: () => {},
  });
  const port = await new Promise<number>((resolve, reject) =>
    s.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  cleanups.push(() => {
    s.forceShutdown();
  });
  return { port, attempts };
}

async function proxyOver(port: number, policy: Parameters<typeof destinationOf>[0]['policy']) {
  const cp = await startControlPlane({
    ...destinationOf({ backends: [backendOf('api', [{ port }])], policy }),
    protocol: 'PROTOCOL_HTTP2',
  });
  cleanups.push(() => cp.stop());
  const proxy = await startProxy(cp);
  cleanups.push(() => proxy.stop());
  return proxy;
}

function clientOf(proxy: ProxyProcess): grpc.Client {
  // The client's own retries are off: any retry seen is the proxy's.
  const client = new Client(`127.0.0.1:${proxy.upstreamPort}`, grpc.credentials.createInsecure(), {
    'grpc.enable_retries': 0,
  });
  cleanups.push(() => client.close());
  return client;
}

function unary(client: grpc.Client, method: 'Echo' | 'Hang', body: string, deadlineMs = 30_000) {
  return new Promise<{ ok: true; body: string } | { ok: false; code: number; details: string }>((resolve) => {
    type Unary = (
      req: Buffer,
      meta: grpc.Metadata,
      options: grpc.CallOptions,
      cb: grpc.requestCallback<Buffer>,
    ) => void;
    const fn = (client as unknown as Record<string, Unary>)[method] as Unary;
    fn.call(
      client,
      Buffer.from(body),
      new grpc.Metadata(),
      { deadline: Date.now() + deadlineMs },
      (err, res) => {
        if (err) resolve({ ok: false, code: err.code, details: err.details });
        else resolve({ ok: true, body: (res as Buffer).toString() });
      },
    );
  });
}

const sec = (s: number) => ({ seconds: String(Math.floor(s)), nanos: Math.round((s % 1) * 1e9) });

describe('gRPC through weft proxy', () => {
  it('retries a call the server failed with UNAVAILABLE, on grpc:unavailable', async () => {
    const app = await server();
    const proxy = await proxyOver(app.port, { retry: { attempts: 3, conditions: ['grpc:unavailable'] } });
    const client = clientOf(proxy);
    expect(await unary(client, 'Echo', 'hi')).toEqual({ ok: true, body: 'echo:hi' });
    expect(app.attempts).toEqual(['1', '2']);
    expect(await unary(client, 'Echo', 'again')).toEqual({ ok: true, body: 'echo:again' });
    expect(await proxy.metric('weft_proxy_retries_total')).toBe(1);
  });

  it('relays UNAVAILABLE when the policy does not list it', async () => {
    const app = await server();
    const proxy = await proxyOver(app.port, { retry: { attempts: 3, conditions: ['gateway-error'] } });
    const r = await unary(clientOf(proxy), 'Echo', 'hi');
    expect(r).toEqual({ ok: false, code: grpc.status.UNAVAILABLE, details: 'warming up' });
    expect(app.attempts).toEqual(['1']);
  });

  it('ends a call past the request timeout with DEADLINE_EXCEEDED naming it', async () => {
    const app = await server();
    const proxy = await proxyOver(app.port, { timeouts: { request: sec(0.2) } });
    const r = await unary(clientOf(proxy), 'Hang', 'x');
    expect(r).toMatchObject({ ok: false, code: grpc.status.DEADLINE_EXCEEDED });
    expect(r.ok === false && r.details).toMatch(/request timeout of 200 ms/);
  });
});
