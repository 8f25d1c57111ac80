import { type DiscoveryResponse, type DiscoveryResponse__Output, loadDiscoveryProto } from '@weft/api';
import { describe, expect, it } from 'vitest';
import { ResponseEncoder } from './wire.js';

const method = loadDiscoveryProto().weft.discovery.v1alpha1.Discovery.service.Stream;
const serialize = (v: DiscoveryResponse) => method.responseSerialize(v);
const deserialize = (b: Buffer) => method.responseDeserialize(b) as DiscoveryResponse__Output;

const destination = {
  authority: 'api.shop.svc.cluster.local:80',
  service: 'api',
  namespace: 'shop',
  port: 80,
  protocol: 'PROTOCOL_HTTP' as const,
  routes: [
    {
      name: 'r',
      matches: [
        { path: { prefix: '/v1' }, method: 'GET', headers: [{ name: 'x', regex: 'a.*' }], queryParams: [] },
      ],
      backends: [{ backend: 'api.shop:80', weight: 7 }],
      requestTimeout: { seconds: '3', nanos: 5 },
    },
  ],
  backends: [
    {
      name: 'api.shop:80',
      service: 'api',
      namespace: 'shop',
      port: 80,
      endpoints: Array.from({ length: 300 }, (_, i) => ({
        address: `10.0.${i >> 8}.${i & 255}`,
        port: 8080,
        identity: 'spiffe://cluster.local/ns/shop/sa/api',
        weight: 1,
        zone: 'z',
        meshed: { inboundPort: 7143 },
        labels: { v: String(i) },
      })),
    },
  ],
  policy: {
    loadBalancer: 'LOAD_BALANCER_ROUND_ROBIN' as const,
    retry: {
      attempts: 3,
      conditions: ['5xx'],
      budget: { ratio: 0.2, minPerSecond: 10, ttl: { seconds: '10', nanos: 0 } },
    },
  },
};

describe('ResponseEncoder', () => {
  it('encodes exactly what the serializer would, payloads spliced', () => {
    const encoder = new ResponseEncoder(serialize);
    const resources = [
      { name: 'api:80', version: 'v1', destination },
      { name: 'nope:80', version: 'v2', doesNotExist: { reason: 'Service shop/nope does not exist' } },
      {
        name: 'inbound',
        version: 'v3',
        inboundPolicy: {
          defaultAction: 'DEFAULT_ACTION_DENY' as const,
          mtlsMode: 'MTLS_MODE_STRICT' as const,
          ports: [{ port: 8080, protocol: 'PROTOCOL_HTTP' as const }],
          rules: [],
        },
      },
      {
        name: 'mesh',
        version: 'v4',
        meshConfig: {
          trustDomain: 'cluster.local',
          tracing: { endpoint: '', protocol: 'grpc', sampling: 0.5 },
        },
      },
    ];
    const removed = ['gone:80', 'ünïcode:80'];
    const spliced = encoder.encode('42', 'n1', resources, removed);
    expect(deserialize(spliced)).toEqual(
      deserialize(serialize({ versionInfo: '42', nonce: 'n1', resources, removedNames: removed })),
    );
  });

  it('reuses the encoded payload for every subscriber of the same content', () => {
    let calls = 0;
    const encoder = new ResponseEncoder((v) => {
      calls++;
      return serialize(v);
    });
    for (let i = 0; i < 100; i++)
      encoder.encode(String(i), String(i), [{ name: `api-${i % 3}:80`, version: 'v1', destination }], []);
    expect(calls).toBe(1);
    const out = deserialize(
      encoder.encode('7', 'x', [{ name: 'api.shop:80', version: 'v1', destination }], []),
    );
    expect(out.resources[0]?.name).toBe('api.shop:80');
    expect(out.resources[0]?.destination?.backends[0]?.endpoints).toHaveLength(300);
  });
});
