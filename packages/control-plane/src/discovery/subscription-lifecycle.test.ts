import { status } from '@grpc/grpc-js';
import type { DiscoveryClient } from '@weft/api';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { type Fixture, startFixture } from '../test-support/fixture.js';
import { discoveryClient, TestStream } from '../test-support/grpc.js';
import { SHOP, WEB_ID } from '../test-support/manifests.js';

const MAX = 500;
let fx: Fixture;
const clients: DiscoveryClient[] = [];

beforeAll(async () => {
  fx = await startFixture(SHOP, undefined, { maxSubscriptions: MAX });
});

afterAll(async () => {
  for (const c of clients) c.close();
  await fx.close();
});

async function connect(workload: string): Promise<TestStream> {
  const client = discoveryClient(fx.port, fx.pki, WEB_ID);
  clients.push(client);
  const s = new TestStream(client);
  s.send({ node: { workload } });
  const first = await s.next();
  s.send({ ack: { versionInfo: first.versionInfo, nonce: first.nonce } });
  return s;
}

/** Waits until every name in `names` has been answered on `s`; returns how many were does-not-exist. */
async function answered(s: TestStream, names: readonly string[]): Promise<number> {
  const left = new Set(names);
  let missing = 0;
  while (left.size > 0) {
    const r = await s.next();
    for (const res of r.resources) {
      if (left.delete(res.name) && res.doesNotExist != null) missing++;
    }
    s.send({ ack: { versionInfo: r.versionInfo, nonce: r.nonce } });
  }
  return missing;
}

it('frees subscriptions and does-not-exist answers for unknown names when their streams close', async () => {
  const cachedBefore = fx.cp.builder.cachedServices;
  const streams: TestStream[] = [];
  for (let i = 0; i < 8; i++) {
    const s = await connect(`probe-${i}`);
    // Unknown services in the proxy's namespace and elsewhere, and unknown ClusterIPs.
    const names = Array.from({ length: 400 }, (_, j) =>
      j % 3 === 0
        ? `ghost-${i}-${j}.shop.svc.cluster.local:80`
        : j % 3 === 1
          ? `ghost-${i}-${j}.elsewhere:8080`
          : `10.99.${i}.${j % 250}:${1000 + j}`,
    );
    s.send({ subscribe: { names } });
    expect(await answered(s, names)).toBe(400);
    streams.push(s);
  }
  expect(fx.cp.discovery.indexSizes().subscriptions).toBe(8 * 400);
  // No answer about a service that does not exist is kept beyond its subscriptions.
  expect(fx.cp.builder.cachedServices).toBe(cachedBefore);
  for (const s of streams) s.close();
  await vi.waitFor(() => expect(fx.cp.discovery.size).toBe(0), { timeout: 10_000, interval: 20 });
  expect(fx.cp.discovery.indexSizes()).toEqual({ connections: 0, watchKeys: 0, subscriptions: 0 });
  expect(fx.cp.builder.cachedServices).toBe(cachedBefore);
  expect((await fx.cp.metrics.subscriptions.get()).values[0]?.value).toBe(0);
});

it('ends a stream that subscribes past the cap, counts it, and keeps serving the others', async () => {
  const greedy = await connect('greedy');
  const modest = await connect('modest');
  const first = Array.from({ length: MAX - 10 }, (_, j) => `ghost-${j}:80`);
  greedy.send({ subscribe: { names: first } });
  await answered(greedy, first);
  greedy.send({ subscribe: { names: Array.from({ length: 20 }, (_, j) => `more-${j}:80`) } });
  const end = await greedy.done();
  expect(end.code).toBe(status.RESOURCE_EXHAUSTED);
  expect(end.details).toContain(`more than ${MAX} subscriptions`);
  const errors = (await fx.cp.metrics.streamErrors.get()).values.find(
    (v) => v.labels.reason === 'too-many-subscriptions',
  );
  expect(errors?.value).toBe(1);
  await vi.waitFor(() => expect(fx.cp.discovery.size).toBe(1), { timeout: 10_000, interval: 20 });
  expect(fx.cp.discovery.indexSizes().subscriptions).toBe(0);
  modest.send({ subscribe: { names: ['api.shop.svc.cluster.local:80'] } });
  expect(await answered(modest, ['api.shop.svc.cluster.local:80'])).toBe(0);
  modest.close();
});
