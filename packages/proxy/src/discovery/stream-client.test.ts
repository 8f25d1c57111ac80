import * as grpc from '@grpc/grpc-js';
import { type DiscoveryRequest__Output, type DiscoveryResponse, loadDiscoveryProto } from '@weft/api';
import { seededRandom } from '@weft/core';
import { silentLogger } from '@weft/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { createProxyMetrics } from '../telemetry/proxy-metrics.js';
import { DiscoveryState } from './state.js';
import { DiscoveryStreamClient } from './stream-client.js';

/** A scripted Discovery server: records requests and answers subscriptions with `answer`. */
async function fakeServer(answer: (name: string) => DiscoveryResponse['resources'], port = 0) {
  const received: DiscoveryRequest__Output[] = [];
  const streams: grpc.ServerDuplexStream<DiscoveryRequest__Output, DiscoveryResponse>[] = [];
  let n = 0;
  const server = new grpc.Server();
  server.addService(loadDiscoveryProto().weft.discovery.v1alpha1.Discovery.service, {
    Stream: (call: grpc.ServerDuplexStream<DiscoveryRequest__Output, DiscoveryResponse>) => {
      streams.push(call);
      call.on('data', (req: DiscoveryRequest__Output) => {
        received.push(req);
        if (req.kind === 'subscribe') {
          n++;
          call.write({
            versionInfo: String(n),
            nonce: `n${n}`,
            resources: req.subscribe!.names.flatMap(answer),
            removedNames: [],
          });
        }
      });
      call.on('error', () => {});
    },
  });
  const bound = await new Promise<number>((res, rej) =>
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (e, p) =>
      e ? rej(e) : res(p),
    ),
  );
  return {
    port: bound,
    received,
    streams,
    push(resp: DiscoveryResponse) {
      for (const s of streams) s.write(resp);
    },
    stop: () => server.forceShutdown(),
    kill: () => server.forceShutdown(),
  };
}

const destination = (name: string, address = '10.0.0.1') => [
  {
    name,
    version: '1',
    destination: {
      authority: name,
      service: 'b',
      namespace: 'default',
      port: 80,
      protocol: 'PROTOCOL_HTTP' as const,
      backends: [{ name: 'b.default:80', endpoints: [{ address, port: 80 }] }],
    },
  },
];

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function client(port: number, state: DiscoveryState, reconnectGraceMs?: number) {
  const metrics = createProxyMetrics(() => 0);
  const c = new DiscoveryStreamClient({
    address: `127.0.0.1:${port}`,
    credentials: () => grpc.credentials.createInsecure(),
    node: () => ({ workload: 'a-1', namespace: 'default', service: 'a', inboundListenerPort: 7143 }),
    state,
    metrics,
    logger: silentLogger(),
    random: seededRandom(1),
    backoff: { baseMs: 20, maxMs: 100 },
    ...(reconnectGraceMs === undefined ? {} : { reconnectGraceMs }),
  });
  cleanups.push(() => c.close());
  c.start();
  return { c, metrics };
}

describe('DiscoveryStreamClient', () => {
  it('sends the node first, subscribes on demand, applies and ACKs answers', async () => {
    const srv = await fakeServer((name) => destination(name));
    cleanups.push(srv.stop);
    const state = new DiscoveryState();
    const { metrics } = client(srv.port, state);
    const r = await state.wait('b.default.svc.cluster.local:80', 5000);
    expect(r.type).toBe('destination');
    await expect.poll(() => srv.received.map((m) => m.kind)).toEqual(['node', 'subscribe', 'ack']);
    expect(srv.received[0]!.node!.workload).toBe('a-1');
    expect(srv.received[2]!.ack!.nonce).toBe('n1');
    expect(metrics.discovery.get({ event: 'ack' })).toBe(1);
  });

  it('NACKs an invalid response with the reason and keeps the previous config', async () => {
    const srv = await fakeServer((name) => destination(name));
    cleanups.push(srv.stop);
    const state = new DiscoveryState();
    client(srv.port, state);
    await state.wait('b:80', 5000);
    srv.push({
      versionInfo: '9',
      nonce: 'bad',
      resources: [
        {
          name: 'b:80',
          destination: {
            authority: 'b:80',
            backends: [{ name: 'x', endpoints: [{ address: '', port: 80 }] }],
          },
        },
      ],
    });
    await expect
      .poll(() => srv.received.find((m) => m.kind === 'nack')?.nack?.errorDetail)
      .toContain('empty address');
    const kept = state.lookup('b:80');
    expect(kept?.type === 'destination' && kept.destination.backends[0]!.endpoints[0]!.address).toBe(
      '10.0.0.1',
    );
  });

  it('keeps serving its last config while the control plane is away, then reconnects and re-subscribes', async () => {
    const srv = await fakeServer((name) => destination(name));
    const state = new DiscoveryState();
    const { c } = client(srv.port, state);
    await state.wait('b:80', 5000);
    srv.kill();
    await expect.poll(() => c.connected).toBe(false);
    expect(state.lookup('b:80')?.type).toBe('destination');
    const again = await fakeServer((name) => destination(name, '10.0.0.2'), srv.port);
    cleanups.push(again.stop);
    await expect
      .poll(() => again.received.find((m) => m.kind === 'subscribe')?.subscribe?.names, { timeout: 10_000 })
      .toEqual(['b:80']);
    await expect
      .poll(() => {
        const r = state.lookup('b:80');
        return r?.type === 'destination' ? r.destination.backends[0]!.endpoints[0]!.address : undefined;
      })
      .toBe('10.0.0.2');
    expect(c.streams).toBeGreaterThanOrEqual(2);
  });

  it("keeps a resolved name's endpoints while a restarted control plane does not know it yet", async () => {
    const srv = await fakeServer((name) => destination(name));
    const state = new DiscoveryState();
    const { c, metrics } = client(srv.port, state, 2000);
    await state.wait('b:80', 5000);
    srv.kill();
    await expect.poll(() => c.connected).toBe(false);
    const restarted = await fakeServer(
      (name) => [{ name, version: '2', doesNotExist: { reason: 'no registrations yet' } }],
      srv.port,
    );
    cleanups.push(restarted.stop);
    // The restarted control plane answered does-not-exist and the proxy ACKed it...
    await expect
      .poll(() => restarted.received.filter((m) => m.kind === 'ack').length, { timeout: 10_000 })
      .toBeGreaterThanOrEqual(1);
    expect(metrics.discovery.get({ event: 'reconnect-grace' })).toBe(1);
    // ...but the endpoints it had keep serving until the grace period is over.
    const held = state.lookup('b:80');
    expect(held?.type === 'destination' && held.destination.backends[0]!.endpoints[0]!.address).toBe(
      '10.0.0.1',
    );
    await expect.poll(() => state.lookup('b:80')?.type, { timeout: 5000 }).toBe('does-not-exist');
  });
});
