import { connect, createServer, type Server, type Socket } from 'node:net';
import { setImmediate as tick } from 'node:timers/promises';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Fixture, startFixture } from '../test-support/fixture.js';
import { discoveryClient, TestStream } from '../test-support/grpc.js';
import { SHOP, WEB_ID } from '../test-support/manifests.js';

let fx: Fixture;
let relay: Server;
let relayPort: number;
const upstreams: Socket[] = [];

/** A TCP relay in front of the control plane whose server side can stop reading (a stuck proxy). */
beforeAll(async () => {
  fx = await startFixture(SHOP, undefined, { maxBlockedRounds: 3 });
  relay = createServer((client) => {
    const upstream = connect(fx.port, '127.0.0.1');
    upstreams.push(upstream);
    clients.set(upstream, client);
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  relayPort = (relay.address() as { port: number }).port;
});

afterAll(async () => {
  for (const u of upstreams) u.destroy();
  relay.close();
  await fx.close();
});

const clients = new WeakMap<Socket, Socket>();
function relaySocketOf(upstream: Socket): Socket {
  return clients.get(upstream) as Socket;
}

function endpoints(round: number) {
  const list = Array.from({ length: 400 }, (_, i) => ({
    address: `10.${round % 250}.${Math.floor(i / 250)}.${i % 250}`,
    labels: { pad: 'x'.repeat(64) },
  }));
  return [
    {
      type: 'upsert' as const,
      ref: { kind: 'StaticEndpoints' as const, namespace: 'shop', name: 'api-v1' },
      object: {
        apiVersion: 'weft.dev/v1alpha1',
        kind: 'StaticEndpoints',
        metadata: { name: 'api-v1', namespace: 'shop' },
        spec: { service: 'api-v1', endpoints: list },
      },
      origin: { source: 'test' },
    },
  ];
}

it('closes and counts a stream that cannot keep up, and leaves the others alone', async () => {
  const slow = new TestStream(discoveryClient(relayPort, fx.pki, WEB_ID));
  slow.send({ node: { workload: 'slow' } });
  await slow.next();
  slow.send({ subscribe: { names: ['api:80'] } });
  await slow.next();
  const healthy = new TestStream(discoveryClient(fx.port, fx.pki, WEB_ID));
  healthy.send({ node: { workload: 'healthy' } });
  await healthy.next();
  healthy.send({ subscribe: { names: ['api:80'] } });
  await healthy.next();

  // The slow proxy stops reading: its connection's bytes pile up in the control plane.
  const stuck = upstreams[0] as Socket;
  stuck.unpipe();
  stuck.pause();
  let round = 0;
  while ((await fx.cp.metrics.streamOverflows.get()).values[0]?.value !== 1) {
    expect(round).toBeLessThan(5000);
    fx.cp.apply(endpoints(++round));
    // Let the transport move: the healthy stream keeps reading, the slow one does not.
    await tick();
    while (healthy.buffered > 0) await healthy.next();
  }
  stuck.pipe(relaySocketOf(stuck));
  stuck.resume();
  const end = await slow.done();
  expect(end.code).toBe(status.RESOURCE_EXHAUSTED);
  expect(end.details).toContain('cannot keep up');
  // The healthy stream still gets the latest state.
  fx.cp.apply(endpoints(++round));
  const want = `10.${round % 250}.0.0`;
  let address: string | undefined;
  while (address !== want)
    address = (await healthy.next()).resources[0]?.destination?.backends?.[0]?.endpoints[0]?.address;
  expect(address).toBe(want);
  expect(fx.cp.discovery.size).toBe(1);
  slow.close();
  healthy.close();
});
