// The discovery client and a control plane that ends streams on purpose (max stream age,
// shutdown): it reconnects at once without backoff, keeps its config meanwhile, and names the
// versions it rejected in the next stream's node.

import * as grpc from '@grpc/grpc-js';
import { type DiscoveryRequest__Output, type DiscoveryResponse, loadDiscoveryProto } from '@weft/api';
import { createLogger, silentLogger } from '@weft/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { createProxyMetrics } from '../telemetry/proxy-metrics.js';
import { DiscoveryState } from './state.js';
import { DiscoveryStreamClient } from './stream-client.js';

type ServerStream = grpc.ServerDuplexStream<DiscoveryRequest__Output, DiscoveryResponse>;

/** A scripted server: answers each subscription with `answer(name, stream index)`. */
async function scriptedServer(answer: (name: string, stream: number) => DiscoveryResponse['resources']) {
  const streams: { call: ServerStream; received: DiscoveryRequest__Output[] }[] = [];
  const server = new grpc.Server();
  let n = 0;
  server.addService(loadDiscoveryProto().weft.discovery.v1alpha1.Discovery.service, {
    Stream: (call: ServerStream) => {
      const entry = { call, received: [] as DiscoveryRequest__Output[] };
      const index = streams.push(entry) - 1;
      call.on('data', (req: DiscoveryRequest__Output) => {
        entry.received.push(req);
        if (req.kind !== 'subscribe') return;
        n++;
        call.write({
          versionInfo: String(n),
          nonce: `n${n}`,
          resources: req.subscribe!.names.flatMap((name) => answer(name, index)),
        });
      });
      call.on('error', () => {});
    },
  });
  const port = await new Promise<number>((res, rej) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))),
  );
  return { port, streams, stop: () => server.forceShutdown() };
}

/** Ends a stream the way the control plane does at max age: UNAVAILABLE + `weft-reconnect: now`. */
function endWithReconnectNow(call: ServerStream): void {
  const trailers = new grpc.Metadata();
  trailers.set('weft-reconnect', 'now');
  call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'max stream age', metadata: trailers });
}

const destination = (name: string, version: string, address: string) => ({
  name,
  version,
  destination: {
    authority: name,
    service: 'b',
    namespace: 'default',
    port: 80,
    protocol: 'PROTOCOL_HTTP' as const,
    backends: [{ name: 'b.default:80', endpoints: [{ address, port: 80 }] }],
  },
});

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function client(port: number, state: DiscoveryState) {
  const metrics = createProxyMetrics(() => 0);
  const c = new DiscoveryStreamClient({
    address: `127.0.0.1:${port}`,
    credentials: () => grpc.credentials.createInsecure(),
    node: () => ({ workload: 'a-1', namespace: 'default', service: 'a', inboundListenerPort: 7143 }),
    state,
    metrics,
    logger: silentLogger(),
    // A backoff long enough that a reconnect within it can only be the "reconnect now" path:
    // the jitter is full (uniform in [0, 60 s]), so the draw is fixed high, 0.9 -> 54 s.
    random: { next: () => 0.9 },
    backoff: { baseMs: 60_000, maxMs: 60_000 },
    reconnectGraceMs: 0,
  });
  cleanups.push(() => c.close());
  c.start();
  return { c, metrics };
}

describe('DiscoveryStreamClient and streams the control plane ends on purpose', () => {
  it('reconnects at once without backoff, keeping its config until the new stream answers', async () => {
    const srv = await scriptedServer((name) => [destination(name, 'v1', '10.0.0.1')]);
    cleanups.push(srv.stop);
    const state = new DiscoveryState();
    const { c, metrics } = client(srv.port, state);
    await state.wait('b:80', 5000);
    endWithReconnectNow(srv.streams[0]!.call);
    // The backoff is a minute: a second stream now means no backoff was applied.
    await expect.poll(() => srv.streams.length, { timeout: 10_000 }).toBe(2);
    expect(state.lookup('b:80')?.type).toBe('destination');
    await expect.poll(() => c.connected, { timeout: 10_000 }).toBe(true);
    expect(metrics.discovery.get({ event: 'reconnect-now' })).toBe(1);
    expect(srv.streams[1]!.received[0]!.node!.rejectedVersions).toEqual([]);
  });

  it('names a nacked version in the next node, and forgets it once a newer version is accepted', async () => {
    // Stream 0 answers a valid v1, then pushes an invalid v2 (nacked); stream 1 answers v3.
    const srv = await scriptedServer((name, stream) => [
      destination(name, stream === 0 ? 'v1' : 'v3', '10.0.0.3'),
    ]);
    cleanups.push(srv.stop);
    const state = new DiscoveryState();
    client(srv.port, state);
    await state.wait('b:80', 5000);
    srv.streams[0]!.call.write({
      versionInfo: '9',
      nonce: 'bad',
      resources: [destination('b:80', 'v2', '')],
    });
    await expect.poll(() => srv.streams[0]!.received.some((m) => m.kind === 'nack')).toBe(true);
    endWithReconnectNow(srv.streams[0]!.call);
    await expect.poll(() => srv.streams.length, { timeout: 10_000 }).toBe(2);
    expect(srv.streams[1]!.received[0]!.node!.rejectedVersions).toEqual([{ name: 'b:80', version: 'v2' }]);
    await expect.poll(() => srv.streams[1]!.received.some((m) => m.kind === 'ack')).toBe(true);
    endWithReconnectNow(srv.streams[1]!.call);
    await expect.poll(() => srv.streams.length, { timeout: 10_000 }).toBe(3);
    expect(srv.streams[2]!.received[0]!.node!.rejectedVersions).toEqual([]);
  });

  it('backs off when a stream that never answered is ended with reconnect-now (a draining replica)', async () => {
    const srv = await scriptedServer(() => []);
    cleanups.push(srv.stop);
    // This server ends every stream at once, before any response.
    const state = new DiscoveryState();
    const metrics = createProxyMetrics(() => 0);
    const lines: string[] = [];
    const c = new DiscoveryStreamClient({
      address: `127.0.0.1:${srv.port}`,
      credentials: () => grpc.credentials.createInsecure(),
      node: () => ({ workload: 'a-1', namespace: 'default' }),
      state,
      metrics,
      logger: createLogger({
        component: 'test',
        level: 'info',
        destination: { write: (l: string) => lines.push(l) },
      }),
      // Full jitter: the draw is fixed (0.9 of 60 s) so that the wait is known.
      random: { next: () => 0.9 },
      backoff: { baseMs: 60_000, maxMs: 60_000 },
    });
    cleanups.push(() => c.close());
    c.start();
    await expect.poll(() => srv.streams.length).toBe(1);
    await expect.poll(() => srv.streams[0]!.received.length).toBeGreaterThan(0);
    endWithReconnectNow(srv.streams[0]!.call);
    // The client saw the stream end and scheduled its next try after the backoff, not at once.
    await expect.poll(() => lines.find((l) => l.includes('discovery stream lost'))).toBeDefined();
    const lost = JSON.parse(lines.find((l) => l.includes('discovery stream lost')) as string) as {
      retryInMs: number;
    };
    expect(lost.retryInMs).toBe(54_000);
    expect(metrics.discovery.get({ event: 'reconnect-now' })).toBe(0);
    expect(srv.streams.length).toBe(1);
  });
});
