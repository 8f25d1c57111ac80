import { once } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { type MeshPair, startMeshPair } from '../testing/mesh-pair.js';

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

const id = (b: Buffer) => b;
const service: grpc.ServiceDefinition = {
  unary: {
    path: '/test.Echo/Unary',
    requestStream: false,
    responseStream: false,
    requestSerialize: id,
    requestDeserialize: id,
    responseSerialize: id,
    responseDeserialize: id,
  },
  chat: {
    path: '/test.Echo/Chat',
    requestStream: true,
    responseStream: true,
    requestSerialize: id,
    requestDeserialize: id,
    responseSerialize: id,
    responseDeserialize: id,
  },
};

async function pair(appPort: number): Promise<MeshPair> {
  const p = await startMeshPair(appPort);
  closers.push(() => p.close());
  return p;
}

describe('HTTP/2, gRPC and WebSocket through two sidecars', () => {
  it('carries gRPC unary (with trailers and error status) and bidi streaming', async () => {
    const server = new grpc.Server();
    server.addService(service, {
      unary: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
        if (call.request.toString() === 'fail') {
          cb({ code: grpc.status.NOT_FOUND, details: 'no such thing' });
          return;
        }
        const trailer = new grpc.Metadata();
        trailer.set('x-trailer', 'kept');
        cb(null, Buffer.concat([Buffer.from('echo:'), call.request]), trailer);
      },
      chat: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
        call.on('data', (d: Buffer) => call.write(Buffer.concat([Buffer.from('>'), d])));
        call.on('end', () => call.end());
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    closers.push(() => new Promise<void>((r) => server.tryShutdown(() => r())));
    const p = await pair(port);
    p.pushDestination({ protocol: 'PROTOCOL_GRPC' });
    const Client = grpc.makeGenericClientConstructor(service, 'Echo');
    const client = new Client(
      `127.0.0.1:${p.upstreamPort}`,
      grpc.credentials.createInsecure(),
    ) as grpc.Client & Record<string, any>;
    closers.push(() => client.close());

    const trailers: grpc.Metadata[] = [];
    const reply = await new Promise<Buffer>((resolve, reject) => {
      const call = client.unary(Buffer.from('hi'), (err: Error | null, res: Buffer) =>
        err ? reject(err) : resolve(res),
      );
      call.on('status', (s: grpc.StatusObject) => trailers.push(s.metadata));
    });
    expect(reply.toString()).toBe('echo:hi');
    expect(trailers[0]?.get('x-trailer')).toEqual(['kept']);

    const err = await new Promise<grpc.ServiceError>((resolve) =>
      client.unary(Buffer.from('fail'), (e: grpc.ServiceError) => resolve(e)),
    );
    expect(err.code).toBe(grpc.status.NOT_FOUND);
    expect(err.details).toBe('no such thing');

    const call = client.chat() as grpc.ClientDuplexStream<Buffer, Buffer>;
    const got: string[] = [];
    call.on('data', (d: Buffer) => got.push(d.toString()));
    call.write(Buffer.from('a'));
    call.write(Buffer.from('b'));
    call.end();
    await once(call, 'end');
    expect(got).toEqual(['>a', '>b']);
    expect(p.b.metrics.requests.get({ direction: 'inbound', class: '2xx' })).toBe(3);
  });

  it('passes WebSocket upgrades through', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(wss, 'listening');
    wss.on('connection', (ws) => ws.on('message', (m) => ws.send(`echo:${m.toString()}`)));
    closers.push(() => new Promise<void>((r) => wss.close(() => r())));
    const p = await pair((wss.address() as { port: number }).port);
    p.pushDestination();
    const ws = new WebSocket(`ws://127.0.0.1:${p.upstreamPort}/socket`);
    await once(ws, 'open');
    ws.send('one');
    const [m1] = await once(ws, 'message');
    ws.send('two');
    const [m2] = await once(ws, 'message');
    expect([String(m1), String(m2)]).toEqual(['echo:one', 'echo:two']);
    ws.close();
    await once(ws, 'close');
  });
});
