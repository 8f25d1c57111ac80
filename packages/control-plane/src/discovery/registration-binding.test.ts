import { status } from '@grpc/grpc-js';
import type { DiscoveryClient } from '@weft/api';
import { createJoinToken, generateTokenKey } from '@weft/pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { joinTokenValidator } from '../identity/join-token-validator.js';
import { type Fixture, startFixture } from '../test-support/fixture.js';
import { discoveryClient, TestStream } from '../test-support/grpc.js';
import { SHOP, WEB_ID } from '../test-support/manifests.js';
import { joinTokenRegistrationAuthorizer } from './registration-authorizer.js';

const TD = 'cluster.local';
const key = generateTokenKey();
const SVC_A_ID = 'spiffe://cluster.local/ns/shop/sa/svc-a';
const EVIL_ID = 'spiffe://cluster.local/ns/shop/sa/evil';
let fx: Fixture;
const clients: DiscoveryClient[] = [];

beforeAll(async () => {
  fx = await startFixture(SHOP, undefined, {
    registrationAuthorizer: joinTokenRegistrationAuthorizer(joinTokenValidator({ key, trustDomain: TD })),
  });
});

afterAll(async () => {
  for (const c of clients) c.close();
  await fx.close();
});

const token = (serviceAccount: string, services: string[], tokenKey = key) =>
  createJoinToken({
    key: tokenKey,
    trustDomain: TD,
    namespace: 'shop',
    serviceAccount,
    services,
    ttlMs: 60_000,
    now: Date.now(),
  });

/** Opens a stream as `identity` registering service svc-a on its own inbound listener port. */
function register(identity: string, registrationToken: string, inboundListenerPort: number): TestStream {
  const client = discoveryClient(fx.port, fx.pki, identity);
  clients.push(client);
  const s = new TestStream(client);
  s.send({
    node: {
      workload: `w-${inboundListenerPort}`,
      service: 'svc-a',
      address: '127.0.0.1',
      inboundListenerPort,
      inboundPorts: [{ port: 8080, protocol: 'PROTOCOL_HTTP' }],
      registrationToken,
    },
  });
  return s;
}

async function refusals(reason: string): Promise<number> {
  const v = (await fx.cp.metrics.registrationsRefused.get()).values.find((x) => x.labels.reason === reason);
  return v?.value ?? 0;
}

/** The inbound ports of svc-a's endpoints, as a subscriber sees them now. */
function svcAEndpoints(): number[] {
  const d = fx.cp.builder.destination('shop', 'svc-a', 8080);
  return d.type === 'destination'
    ? d.message.backends.flatMap((b) => b.endpoints.map((e) => e.meshed?.inboundPort ?? 0))
    : [];
}

describe('registration binding', () => {
  it('registers a service the token names for the certificate identity', async () => {
    const s = register(SVC_A_ID, await token('svc-a', ['svc-a']), 21001);
    await s.next();
    await expect.poll(() => svcAEndpoints()).toEqual([21001]);
  });

  it.each([
    [
      'a token for sa/evil naming only its own service',
      EVIL_ID,
      () => token('evil', ['evil']),
      'service-not-allowed',
    ],
    ['no token', EVIL_ID, async () => '', 'no-token'],
    [
      "the victim's token under another certificate",
      EVIL_ID,
      () => token('svc-a', ['svc-a']),
      'identity-mismatch',
    ],
    [
      'a token signed by another key',
      EVIL_ID,
      () => token('evil', ['svc-a'], generateTokenKey()),
      'bad-token',
    ],
  ])(
    'refuses %s with PERMISSION_DENIED, counts it, and leaves the endpoints alone',
    async (_l, id, t, reason) => {
      const before = await refusals(reason);
      const s = register(id, await t(), 21666);
      const end = await s.done();
      expect(end.code).toBe(status.PERMISSION_DENIED);
      expect(await refusals(reason)).toBe(before + 1);
      expect(svcAEndpoints()).toEqual([21001]);
    },
  );

  it('lets a proxy that registers no service connect without a token', async () => {
    const client = discoveryClient(fx.port, fx.pki, WEB_ID);
    clients.push(client);
    const s = new TestStream(client);
    s.send({ node: { workload: 'web-1' } });
    expect((await s.next()).resources.map((r) => r.name).sort()).toEqual(['inbound', 'mesh']);
    s.close();
  });
});
