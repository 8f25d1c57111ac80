import type { DiscoveryClient, DiscoveryResponse__Output } from '@weft/api';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Fixture, startFixture } from '../test-support/fixture.js';
import { discoveryClient, TestStream } from '../test-support/grpc.js';
import { SHOP, service, staticEndpoints, WEB_ID } from '../test-support/manifests.js';

let fx: Fixture;
const clients: DiscoveryClient[] = [];

beforeAll(async () => {
  fx = await startFixture({
    ...SHOP,
    'headless.yaml':
      service('db', 'shop', { clusterIP: 'None', port: 5432, targetPort: 5432 }) +
      staticEndpoints('db', 'shop', ['10.2.0.1']),
  });
});

afterAll(async () => {
  for (const c of clients) c.close();
  await fx.close();
});

async function connect(): Promise<TestStream> {
  const client = discoveryClient(fx.port, fx.pki, WEB_ID);
  clients.push(client);
  const s = new TestStream(client);
  s.send({ node: { workload: 'web-1' } });
  const first = await s.next();
  s.send({ ack: { versionInfo: first.versionInfo, nonce: first.nonce } });
  return s;
}

type Answer = DiscoveryResponse__Output['resources'][number];

/** Reads responses (acking each) until every name in `names` is answered; the last answer of each. */
async function answersFor(s: TestStream, names: readonly string[]): Promise<Map<string, Answer>> {
  const out = new Map<string, Answer>();
  while (names.some((n) => !out.has(n))) {
    const r = await s.next();
    s.send({ ack: { versionInfo: r.versionInfo, nonce: r.nonce } });
    for (const x of r.resources) if (names.includes(x.name)) out.set(x.name, x);
  }
  return out;
}

async function answerFor(s: TestStream, name: string): Promise<Answer> {
  return (await answersFor(s, [name])).get(name) as Answer;
}

it('answers dns: subscriptions with DNS records over the stream, and does-not-exist for unknown Services', async () => {
  const s = await connect();
  const names = ['dns:api.shop.svc.cluster.local', 'dns:ghost.shop.svc.cluster.local'];
  s.send({ subscribe: { names } });
  const answers = await answersFor(s, names);
  const api = answers.get(names[0] as string);
  expect(api?.kind).toBe('dnsRecord');
  expect(api?.dnsRecord).toMatchObject({
    fqdn: 'api.shop.svc.cluster.local',
    addresses: ['10.96.0.10'],
    ports: [80],
  });
  expect(Number(api?.dnsRecord?.ttl?.seconds)).toBe(5);
  expect(answers.get(names[1] as string)?.kind).toBe('doesNotExist');
  s.close();
});

it("pushes a headless Service's record again when its endpoints change", async () => {
  const s = await connect();
  const name = 'dns:db.shop.svc.cluster.local';
  s.send({ subscribe: { names: [name] } });
  expect((await answerFor(s, name)).dnsRecord?.addresses).toEqual(['10.2.0.1']);
  await fx.write(
    'headless.yaml',
    service('db', 'shop', { clusterIP: 'None', port: 5432, targetPort: 5432 }) +
      staticEndpoints('db', 'shop', ['10.2.0.1', '10.2.0.2']),
  );
  expect((await answerFor(s, name)).dnsRecord?.addresses).toEqual(['10.2.0.1', '10.2.0.2']);
  s.close();
});
