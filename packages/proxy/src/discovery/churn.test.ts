/**
 * Destination churn over a real gRPC Discovery stream: a scripted control plane that keeps
 * subscriptions the way the real one does (answers each new name, drops it on unsubscribe and
 * says so in `removedNames`). The proxy's clock is a ManualClock, so idle sweeps run when the
 * test says.
 */

import * as grpc from '@grpc/grpc-js';
import { type DiscoveryRequest__Output, type DiscoveryResponse, loadDiscoveryProto } from '@weft/api';
import { ManualClock, seededRandom } from '@weft/core';
import { silentLogger } from '@weft/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { createProxyMetrics } from '../telemetry/proxy-metrics.js';
import { TrafficRegistry } from '../traffic/destination-traffic.js';
import { DiscoveryState } from './state.js';
import { DiscoveryStreamClient } from './stream-client.js';

const IDLE_MS = 60_000;

function destinationResource(name: string) {
  return {
    name,
    version: '1',
    destination: {
      authority: name,
      service: 'svc',
      namespace: 'shop',
      port: 80,
      protocol: 'PROTOCOL_HTTP' as const,
      backends: [
        {
          name: 'svc.shop:80',
          service: 'svc',
          namespace: 'shop',
          port: 80,
          endpoints: [
            { address: '10.0.0.1', port: 8080 },
            { address: '10.0.0.2', port: 8080 },
          ],
        },
      ],
    },
  };
}

/** A Discovery server holding one stream's subscriptions like the real control plane. */
async function scriptedControlPlane() {
  const subscriptions = new Set<string>();
  const received: DiscoveryRequest__Output[] = [];
  const streams: grpc.ServerDuplexStream<DiscoveryRequest__Output, DiscoveryResponse>[] = [];
  let version = 0;
  const write = (resp: Omit<DiscoveryResponse, 'versionInfo' | 'nonce'>) => {
    version++;
    for (const s of streams) s.write({ versionInfo: String(version), nonce: `n${version}`, ...resp });
  };
  const server = new grpc.Server();
  server.addService(loadDiscoveryProto().weft.discovery.v1alpha1.Discovery.service, {
    Stream: (call: grpc.ServerDuplexStream<DiscoveryRequest__Output, DiscoveryResponse>) => {
      streams.push(call);
      call.on('data', (req: DiscoveryRequest__Output) => {
        received.push(req);
        if (req.kind === 'subscribe') {
          const names = req.subscribe!.names.filter((n) => !subscriptions.has(n));
          for (const n of names) subscriptions.add(n);
          if (names.length > 0) write({ resources: names.map(destinationResource), removedNames: [] });
        } else if (req.kind === 'unsubscribe') {
          const names = req.unsubscribe!.names.filter((n) => subscriptions.delete(n));
          if (names.length > 0) write({ resources: [], removedNames: names });
        }
      });
      call.on('error', () => {});
    },
  });
  const port = await new Promise<number>((res, rej) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))),
  );
  return {
    port,
    subscriptions,
    received,
    /** The services behind `names` were deleted: each is answered does-not-exist. */
    deleted(names: string[]) {
      write({
        resources: names.map((name) => ({ name, version: '2', doesNotExist: { reason: 'deleted' } })),
        removedNames: [],
      });
    },
    /** Names the proxy unsubscribed, in order. */
    unsubscribed: () => received.flatMap((r) => (r.kind === 'unsubscribe' ? r.unsubscribe!.names : [])),
    /** How many times `name` was subscribed. */
    subscribes: (name: string) =>
      received.filter((r) => r.kind === 'subscribe' && r.subscribe!.names.includes(name)).length,
    /** Pushes `resources` as they are (bad ones included). */
    push(resources: DiscoveryResponse['resources']) {
      write({ resources, removedNames: [] });
    },
    stop: () => server.forceShutdown(),
  };
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup() {
  const cp = await scriptedControlPlane();
  cleanups.push(cp.stop);
  const clock = new ManualClock();
  const traffic = new TrafficRegistry({ clock, random: seededRandom(3) });
  const state = new DiscoveryState();
  state.useTraffic(traffic);
  const metrics = createProxyMetrics(() => 0);
  const client = new DiscoveryStreamClient({
    address: `127.0.0.1:${cp.port}`,
    credentials: () => grpc.credentials.createInsecure(),
    node: () => ({ workload: 'a-1', namespace: 'shop', service: 'a', inboundListenerPort: 7143 }),
    state,
    metrics,
    logger: silentLogger(),
    random: seededRandom(1),
    clock,
    idleUnsubscribeMs: IDLE_MS,
  });
  cleanups.push(() => client.close());
  client.start();
  return { cp, clock, traffic, state, client, metrics };
}

/** What a request does with a name: resolve it, take its traffic state, pick and finish an attempt. */
function use(state: DiscoveryState, traffic: TrafficRegistry, name: string): void {
  const r = state.lookup(name);
  if (r?.type !== 'destination') throw new Error(`${name}: ${r?.type}`);
  const balancer = traffic.for(r.destination).balancer('svc.shop:80');
  const p = balancer?.pick();
  if (p?.type !== 'pick') throw new Error(`${name}: no endpoint`);
  balancer!.start(p.endpoint).end('success');
}

describe('destination churn', () => {
  it('10,000 destinations pushed, used and gone leave no traffic state and no subscription behind', async () => {
    const { cp, clock, traffic, state, client } = await setup();
    const ROUNDS = 20;
    const BATCH = 500;
    for (let round = 0; round < ROUNDS; round++) {
      const names = Array.from({ length: BATCH }, (_, i) => `svc-${round}-${i}.shop.svc.cluster.local:80`);
      const answers = await Promise.all(names.map((n) => state.wait(n, 10_000)));
      expect(answers.every((a) => a.type === 'destination')).toBe(true);
      for (const n of names) use(state, traffic, n);
      // Compiled at push: every destination of this round has state, the request path compiled none.
      expect(traffic.stats()).toEqual({ destinations: BATCH, balancers: BATCH, compiledOnRequest: 0 });
      if (round % 2 === 0) {
        // The services are deleted: does-not-exist drops their traffic state at once...
        cp.deleted(names);
        await expect.poll(() => traffic.size).toBe(0);
      }
      // ...and (deleted or not) once unused for the idle timeout, the names are unsubscribed.
      clock.advance(IDLE_MS * 1.5);
      expect(traffic.size).toBe(0);
      expect(client.subscriptions).toBe(0);
      await expect.poll(() => cp.subscriptions.size).toBe(0);
      expect(state.stats()).toMatchObject({ names: 0, asked: 0, held: 0 });
    }
    expect(cp.unsubscribed()).toHaveLength(ROUNDS * BATCH);
    expect(state.snapshot().stats).toEqual({
      names: 0,
      asked: 0,
      held: 0,
      traffic: { destinations: 0, balancers: 0, compiledOnRequest: 0 },
    });
  }, 60_000);

  it('unsubscribes a name idle past the timeout and subscribes it again on its next use', async () => {
    const { cp, clock, traffic, state, client, metrics } = await setup();
    const NAME = 'api.shop.svc.cluster.local:80';
    expect((await state.wait(NAME, 10_000)).type).toBe('destination');
    const first = traffic.get(NAME);
    // Used in every half timeout: stays subscribed however long that lasts.
    for (let i = 0; i < 6; i++) {
      use(state, traffic, NAME);
      clock.advance(IDLE_MS / 2);
    }
    expect(cp.unsubscribed()).toEqual([]);
    expect(traffic.get(NAME)).toBe(first);
    // Not used for one timeout: still held (a name goes between 1x and 1.5x the timeout).
    clock.advance(IDLE_MS / 2);
    expect(client.subscriptions).toBe(1);
    clock.advance(IDLE_MS);
    expect(client.subscriptions).toBe(0);
    expect(traffic.get(NAME)).toBeUndefined();
    expect(state.lookup(NAME)).toBeUndefined();
    await expect.poll(() => cp.unsubscribed()).toEqual([NAME]);
    expect(metrics.discovery.get({ event: 'idle-unsubscribe' })).toBe(1);
    // The lookup above asked for it again: subscribed anew, answered, and fresh traffic state.
    await expect.poll(() => cp.subscribes(NAME)).toBe(2);
    await expect.poll(() => state.lookup(NAME)?.type).toBe('destination');
    expect(traffic.get(NAME)).toBeDefined();
    expect(traffic.get(NAME)).not.toBe(first);
    const text = metrics.registry.render();
    expect(text).toMatch(/^weft_proxy_discovery_subscriptions 1$/m);
    expect(text).toMatch(/^weft_proxy_traffic_destinations 1$/m);
  });

  it('NACKs a destination that does not compile once, on the wire, and requests keep the last good one', async () => {
    const { cp, traffic, state } = await setup();
    const NAME = 'api.shop.svc.cluster.local:80';
    expect((await state.wait(NAME, 10_000)).type).toBe('destination');
    const good = traffic.get(NAME);
    const bad = destinationResource(NAME);
    cp.push([
      {
        ...bad,
        destination: {
          ...bad.destination,
          routes: [
            {
              name: 'r',
              matches: [{ path: { regex: '(a+)+' } }],
              backends: [{ backend: 'svc.shop:80', weight: 1 }],
            },
          ],
        },
      },
    ]);
    const nacks = () => cp.received.filter((r) => r.kind === 'nack');
    await expect.poll(() => nacks().length).toBe(1);
    expect(nacks()[0]!.nack!.errorDetail).toMatch(
      /^resource "api\.shop\.svc\.cluster\.local:80": routes\[0\]\.matches\[0\]\.path\.value: regular expression rejected/,
    );
    for (let i = 0; i < 100; i++) use(state, traffic, NAME);
    expect(traffic.get(NAME)).toBe(good);
    expect(traffic.stats().compiledOnRequest).toBe(0);
    expect(nacks()).toHaveLength(1);
  });

  it('drops a name asked for but never answered once it is idle', async () => {
    const { cp, clock, state, client } = await setup();
    cp.stop();
    expect(state.lookup('never.shop.svc.cluster.local:80')).toBeUndefined();
    expect(state.stats().asked).toBe(1);
    clock.advance(IDLE_MS * 1.5);
    expect(state.stats().asked).toBe(0);
    expect(client.subscriptions).toBe(0);
  });
});
