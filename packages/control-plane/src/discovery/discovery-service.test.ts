import { status } from '@grpc/grpc-js';
import type { DiscoveryClient, DiscoveryResponse__Output } from '@weft/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Fixture, startFixture } from '../test-support/fixture.js';
import { discoveryClient, TestStream } from '../test-support/grpc.js';
import { SHOP, WEB_ID } from '../test-support/manifests.js';

const API = 'api.shop.svc.cluster.local:80';

let fx: Fixture;
const clients: DiscoveryClient[] = [];
const streams: TestStream[] = [];

function open(
  identity: string | null = WEB_ID,
  node: Record<string, unknown> = { workload: 'web-1', namespace: 'shop' },
) {
  const client = discoveryClient(fx.port, fx.pki, identity ?? undefined);
  clients.push(client);
  const s = new TestStream(client);
  streams.push(s);
  s.send({ node });
  return s;
}

function names(r: DiscoveryResponse__Output): string[] {
  return r.resources.map((x) => x.name).sort();
}

async function connected(identity = WEB_ID, node?: Record<string, unknown>): Promise<TestStream> {
  const s = open(identity, node);
  const first = await s.next();
  expect(names(first)).toEqual(['inbound', 'mesh']);
  s.send({ ack: { versionInfo: first.versionInfo, nonce: first.nonce } });
  return s;
}

beforeAll(async () => {
  fx = await startFixture(SHOP);
});

afterAll(async () => {
  for (const s of streams) s.close();
  for (const c of clients) c.close();
  await fx.close();
});

describe('Discovery stream', () => {
  it('refuses a proxy without a client certificate', async () => {
    const s = open(null);
    const end = await s.done();
    expect(end.code).toBe(status.UNAUTHENTICATED);
    expect(end.details).toMatch(/client certificate/);
  });

  it('takes the identity from the certificate, not from the node message', async () => {
    const s = open(WEB_ID, { workload: 'web-1', namespace: 'bank' });
    const end = await s.done();
    expect(end.code).toBe(status.PERMISSION_DENIED);
    expect(end.details).toContain('node.namespace "bank" does not match');
  });

  it('requires node first', async () => {
    const client = discoveryClient(fx.port, fx.pki, WEB_ID);
    clients.push(client);
    const s = new TestStream(client);
    streams.push(s);
    s.send({ subscribe: { names: [API] } });
    expect((await s.done()).code).toBe(status.INVALID_ARGUMENT);
  });

  it('pushes the mesh config and inbound policy without a subscription', async () => {
    const s = open(WEB_ID, { workload: 'web-1', inboundPorts: [{ port: 8080, protocol: 'PROTOCOL_HTTP' }] });
    const first = await s.next();
    const inbound = first.resources.find((r) => r.name === 'inbound');
    expect(inbound?.inboundPolicy?.defaultAction).toBe('DEFAULT_ACTION_ALLOW_ALL');
    expect(inbound?.inboundPolicy?.ports).toEqual([{ port: 8080, protocol: 'PROTOCOL_HTTP' }]);
    const mesh = first.resources.find((r) => r.name === 'mesh')?.meshConfig;
    expect(mesh?.trustDomain).toBe('cluster.local');
    // The path-normalization defaults travel explicitly (never UNSPECIFIED on the wire).
    expect(mesh?.pathNormalization).toEqual({
      mergeSlashes: 'SLASH_MERGE_MERGE',
      escapedSlashes: 'ESCAPED_SLASH_ACTION_REJECT',
      backslash: 'BACKSLASH_ACTION_REJECT',
      forward: 'FORWARDED_PATH_NORMALIZED',
    });
    expect(first.nonce).not.toBe('');
  });

  it('answers a subscription at once, by authority, short name and ClusterIP, and says does-not-exist', async () => {
    const s = await connected();
    s.send({ subscribe: { names: [API, 'api:80', '10.96.0.10:80', 'nope:80', 'api.shop:81'] } });
    const r = await s.next();
    expect(names(r)).toEqual(['10.96.0.10:80', API, 'api.shop:81', 'api:80', 'nope:80']);
    const byName = new Map(r.resources.map((x) => [x.name, x]));
    const dest = byName.get(API)?.destination;
    expect(dest?.authority).toBe(API);
    expect(dest?.routes[0]?.backends).toEqual([
      { backend: 'api-v1.shop:80', weight: 90 },
      { backend: 'api-v2.shop:80', weight: 10 },
    ]);
    expect(dest?.backends.map((b) => [b.name, b.endpoints.map((e) => `${e.address}:${e.port}`)])).toEqual([
      ['api-v1.shop:80', ['10.1.0.1:8080', '10.1.0.2:8080']],
      ['api-v2.shop:80', ['10.1.0.3:8080']],
    ]);
    expect(byName.get('api:80')?.destination).toEqual(dest);
    expect(byName.get('10.96.0.10:80')?.destination).toEqual(dest);
    expect(byName.get('nope:80')?.doesNotExist?.reason).toBe('Service shop/nope does not exist');
    expect(byName.get('api.shop:81')?.doesNotExist?.reason).toBe('Service shop/api has no port 81');
  });

  it('sends deltas only to subscribers of what changed', async () => {
    const apiWatcher = await connected();
    apiWatcher.send({ subscribe: { names: [API] } });
    const a1 = await apiWatcher.next();
    apiWatcher.send({ ack: { versionInfo: a1.versionInfo, nonce: a1.nonce } });
    const storeWatcher = await connected();
    storeWatcher.send({ subscribe: { names: ['store:6379'] } });
    const s1 = await storeWatcher.next();
    expect(s1.resources[0]?.destination?.protocol).toBe('PROTOCOL_TCP');

    // An api-v2 endpoint appears: only the api subscriber hears of it, with only that destination.
    await fx.write(
      'endpoints.yaml',
      SHOP['endpoints.yaml'].replace(
        /- \{address: 10\.1\.0\.3\}/,
        '- {address: 10.1.0.3}\n  - {address: 10.1.0.4}',
      ),
    );
    const a2 = await apiWatcher.next();
    expect(names(a2)).toEqual([API]);
    expect(Number(a2.versionInfo)).toBeGreaterThan(Number(a1.versionInfo));
    const v2 = a2.resources[0]?.destination?.backends.find((b) => b.name === 'api-v2.shop:80');
    expect(v2?.endpoints.map((e) => e.address)).toEqual(['10.1.0.3', '10.1.0.4']);

    // Then a store change: the store subscriber's next message is about store, so the api change sent it nothing.
    await fx.write(
      'endpoints.yaml',
      SHOP['endpoints.yaml']
        .replace(/- \{address: 10\.1\.0\.3\}/, '- {address: 10.1.0.3}\n  - {address: 10.1.0.4}')
        .replace('10.1.0.9', '10.1.0.8'),
    );
    const s2 = await storeWatcher.next();
    expect(names(s2)).toEqual(['store:6379']);
    expect(s2.resources[0]?.destination?.backends[0]?.endpoints.map((e) => e.address)).toEqual(['10.1.0.8']);
    await fx.write('endpoints.yaml', SHOP['endpoints.yaml']);
  });

  it('removes a name on unsubscribe', async () => {
    const s = await connected();
    s.send({ subscribe: { names: ['web:80'] } });
    await s.next();
    s.send({ unsubscribe: { names: ['web:80'] } });
    const r = await s.next();
    expect(r.removedNames).toEqual(['web:80']);
    expect(r.resources).toEqual([]);
  });

  it('keeps a proxy on its last acknowledged version after a NACK and sends the next new version', async () => {
    const s = await connected(WEB_ID, { workload: 'web-nack' });
    s.send({ subscribe: { names: ['store:6379'] } });
    const good = await s.next();
    s.send({ ack: { versionInfo: good.versionInfo, nonce: good.nonce } });
    const goodVersion = good.resources[0]?.version;

    await fx.write('endpoints.yaml', SHOP['endpoints.yaml'].replace('10.1.0.9', '10.1.0.7'));
    const bad = await s.next();
    s.send({
      nack: {
        versionInfo: bad.versionInfo,
        nonce: bad.nonce,
        errorDetail: 'endpoint 10.1.0.7 rejected by test',
      },
    });
    // The NACK is recorded and the proxy is known to hold the acknowledged version.
    await expect
      .poll(() => fx.cp.discovery.debug().find((d) => (d as { workload: string }).workload === 'web-nack'))
      .toMatchObject({
        acked: { 'store:6379': goodVersion },
        rejected: { 'store:6379': bad.resources[0]?.version },
        lastNack: { detail: 'endpoint 10.1.0.7 rejected by test' },
      });
    expect(await fx.cp.metrics.nacks.get()).toMatchObject({ values: [{ value: 1 }] });

    await fx.write('endpoints.yaml', SHOP['endpoints.yaml'].replace('10.1.0.9', '10.1.0.6'));
    const next = await s.next();
    expect(next.resources[0]?.destination?.backends[0]?.endpoints[0]?.address).toBe('10.1.0.6');
    await fx.write('endpoints.yaml', SHOP['endpoints.yaml']);
  });

  it('serves a reconnecting proxy afresh', async () => {
    const s = await connected();
    s.send({ subscribe: { names: [API] } });
    const before = await s.next();
    s.close();
    const again = await connected();
    again.send({ subscribe: { names: [API] } });
    const after = await again.next();
    expect(after.resources[0]?.destination).toEqual(before.resources[0]?.destination);
  });

  it('turns a registration into an endpoint while connected, and for a grace period after', async () => {
    const watcher = await connected();
    watcher.send({ subscribe: { names: ['cart:9000'] } });
    expect((await watcher.next()).resources[0]?.doesNotExist?.reason).toBe(
      'Service shop/cart does not exist',
    );

    const cartId = 'spiffe://cluster.local/ns/shop/sa/cart';
    const cart = await connected(cartId, {
      workload: 'cart-1',
      service: 'cart',
      address: '127.0.0.1',
      inboundListenerPort: 17143,
      inboundPorts: [{ port: 9000, protocol: 'PROTOCOL_HTTP' }],
    });
    const r = await watcher.next();
    const ep = r.resources[0]?.destination?.backends[0]?.endpoints[0];
    expect(ep).toMatchObject({
      address: '127.0.0.1',
      port: 9000,
      identity: cartId,
      meshed: { inboundPort: 17143 },
    });
    expect(r.resources[0]?.destination?.protocol).toBe('PROTOCOL_HTTP');

    cart.close();
    await expect.poll(() => fx.registrationClock.pending).toBe(1);
    fx.registrationClock.advance(5000);
    expect((await watcher.next()).resources[0]?.doesNotExist?.reason).toBe(
      'Service shop/cart does not exist',
    );
  });
});
