import { describe, expect, it } from 'vitest';
import type { Registration, ResourceKind, SourceEvent } from '../sources/config-source.js';
import { MeshState } from './mesh-state.js';
import { ResourceBuilder } from './resource-builder.js';

function obj(
  kind: ResourceKind,
  apiVersion: string,
  name: string,
  rest: Record<string, unknown>,
  ns = 'shop',
): SourceEvent {
  const { metadata, ...body } = rest;
  return {
    type: 'upsert',
    ref: { kind, namespace: ns, name },
    object: {
      apiVersion,
      kind,
      metadata: { name, namespace: ns, ...(metadata as object | undefined) },
      ...body,
    },
    origin: { source: 'test' },
  };
}
const svc = (name: string, port = 80, targetPort = 8080) =>
  obj('Service', 'v1', name, { spec: { ports: [{ name: 'http', port, targetPort }] } });
const eps = (service: string, addresses: string[], extra: Record<string, unknown> = {}) =>
  obj('StaticEndpoints', 'weft.dev/v1alpha1', service, {
    spec: { service, endpoints: addresses.map((address) => ({ address, ...extra })) },
  });
const split = (name: string, apex: string, backends: [string, number][], created = '2026-01-01T00:00:00Z') =>
  obj('TrafficSplit', 'split.smi-spec.io/v1alpha4', name, {
    metadata: { creationTimestamp: created },
    spec: { service: apex, backends: backends.map(([service, weight]) => ({ service, weight })) },
  });

describe('MeshState', () => {
  it('marks dirty only the changed service and the apexes routing to it', () => {
    const state = new MeshState();
    state.apply([
      svc('api'),
      svc('api-v1'),
      svc('api-v2'),
      svc('store'),
      split('api', 'api', [
        ['api-v1', 1],
        ['api-v2', 1],
      ]),
    ]);
    const change = state.apply([eps('api-v1', ['10.0.0.1'])]);
    expect([...change.dirty].filter((k) => k.startsWith('svc:')).sort()).toEqual([
      'svc:shop/api',
      'svc:shop/api-v1',
    ]);
    expect(change.all).toBe(false);
    const unrelated = state.apply([eps('store', ['10.0.0.9'])]);
    expect([...unrelated.dirty].filter((k) => k.startsWith('svc:'))).toEqual(['svc:shop/store']);
  });

  it('changes everything when the mesh config changes', () => {
    const state = new MeshState();
    state.apply([svc('api')]);
    const change = state.apply([
      {
        type: 'upsert',
        ref: { kind: 'MeshConfig', namespace: '', name: 'mesh' },
        object: {
          apiVersion: 'weft.dev/v1alpha1',
          kind: 'MeshConfig',
          metadata: { name: 'mesh' },
          spec: { trustDomain: 'example.org' },
        },
        origin: { source: 'test' },
      },
    ]);
    expect(change.all).toBe(true);
    expect(state.trustDomain).toBe('example.org');
  });

  it('lets the oldest of two splits win and marks the other conflicting', () => {
    const state = new MeshState();
    state.apply([
      svc('api'),
      svc('a'),
      svc('b'),
      split('new', 'api', [['b', 1]], '2026-02-01T00:00:00Z'),
      split('old', 'api', [['a', 1]]),
    ]);
    const byName = Object.fromEntries(state.allConditions().map((c) => [c.ref.name, c.condition]));
    expect(byName.old).toEqual({ status: 'accepted' });
    expect(byName.new).toMatchObject({
      reason: 'Conflicted',
      message: 'TrafficSplit shop/old already splits Service api',
    });
    const d = new ResourceBuilder(state).destination('shop', 'api', 80);
    expect(d.type === 'destination' ? d.message.routes?.[0]?.backends : undefined).toEqual([
      { backend: 'a.shop:80', weight: 1 },
    ]);
  });

  it('accepts the FQDN form of a split root service (SMI v1alpha4)', () => {
    const state = new MeshState();
    state.apply([
      svc('api'),
      svc('a'),
      svc('b'),
      split('api', 'api.shop.svc.cluster.local', [
        ['a', 9],
        ['b.shop', 1],
      ]),
    ]);
    expect(state.allConditions()[0]?.condition).toEqual({ status: 'accepted' });
    const d = new ResourceBuilder(state).destination('shop', 'api', 80);
    expect(d.type === 'destination' ? d.message.routes?.[0]?.backends : undefined).toEqual([
      { backend: 'a.shop:80', weight: 9 },
      { backend: 'b.shop:80', weight: 1 },
    ]);
  });

  it('prefers an HTTPRoute over a TrafficSplit on the same port', () => {
    const state = new MeshState();
    state.apply([
      svc('api'),
      svc('a'),
      svc('b'),
      split('api', 'api', [['a', 1]]),
      obj('HTTPRoute', 'gateway.networking.k8s.io/v1', 'api', {
        spec: {
          parentRefs: [{ kind: 'Service', name: 'api' }],
          rules: [{ backendRefs: [{ name: 'b', port: 80 }] }],
        },
      }),
    ]);
    const d = new ResourceBuilder(state).destination('shop', 'api', 80);
    expect(d.type === 'destination' ? d.message.routes?.map((r) => r.name) : undefined).toEqual([
      'httproute/shop/api/rule-0',
    ]);
  });

  it('drops the condition of a deleted resource', () => {
    const state = new MeshState();
    state.apply([svc('api'), split('api', 'api', [['missing', 1]])]);
    expect(state.allConditions()).toHaveLength(1);
    const change = state.apply([
      { type: 'delete', ref: { kind: 'TrafficSplit', namespace: 'shop', name: 'api' } },
    ]);
    expect(change.conditions).toEqual([expect.objectContaining({ condition: undefined })]);
    expect(state.allConditions()).toEqual([]);
  });

  it('refuses a meshed static endpoint without an identity', () => {
    const state = new MeshState();
    state.apply([svc('api'), eps('api', ['10.0.0.1'], { inboundPort: 7143 })]);
    expect(state.allConditions()[0]?.condition).toMatchObject({
      reason: 'Invalid',
      message: expect.stringContaining('spec.endpoints[0].identity: inboundPort needs identity'),
    });
  });

  it('turns registrations into endpoints on the target port, or on the service port a proxy registered', () => {
    const state = new MeshState();
    const reg = (id: string, port: number): Registration => ({
      id,
      identity: `spiffe://cluster.local/ns/shop/sa/${id}`,
      namespace: 'shop',
      service: 'api',
      workload: id,
      address: '127.0.0.1',
      inboundListenerPort: 7143,
      ports: [{ port, protocol: undefined }],
      labels: {},
    });
    state.apply([
      svc('api', 80, 8080),
      { type: 'register', registration: reg('by-target', 8080) },
      { type: 'register', registration: reg('by-service', 80) },
    ]);
    const model = state.service('shop', 'api');
    expect(
      model === undefined
        ? []
        : state.endpoints(model, 80).map((e) => `${e.identity?.split('/').pop()}:${e.port}`),
    ).toEqual(['by-service:80', 'by-target:8080']);
  });

  it('implies a service from registrations when no manifest names it', () => {
    const state = new MeshState();
    state.apply([
      {
        type: 'register',
        registration: {
          id: 'r1',
          identity: 'spiffe://cluster.local/ns/shop/sa/cart',
          namespace: 'shop',
          service: 'cart',
          workload: 'cart-1',
          address: '127.0.0.1',
          inboundListenerPort: 17143,
          ports: [{ port: 9000, protocol: 'grpc' }],
          labels: {},
        },
      },
    ]);
    expect(state.service('shop', 'cart')).toMatchObject({
      implicit: true,
      ports: [{ port: 9000, protocol: 'grpc' }],
    });
    state.apply([{ type: 'deregister', id: 'r1' }]);
    expect(state.service('shop', 'cart')).toBeUndefined();
  });
});

describe('Service protocols', () => {
  it('treats ports named in weft.dev/opaque-ports (by port or target port) as opaque TCP', () => {
    const state = new MeshState();
    state.apply([
      obj('Service', 'v1', 'db', {
        metadata: { annotations: { 'weft.dev/opaque-ports': '5432, 9000-9001' } },
        spec: {
          ports: [
            { name: 'http-admin', port: 80, targetPort: 9001 },
            { name: 'http', port: 5432 },
            { name: 'http-web', port: 8080 },
            { port: 6379 },
            { port: 53, protocol: 'UDP' },
          ],
        },
      }),
    ]);
    expect(state.service('shop', 'db')?.ports.map((p) => `${p.port}:${p.protocol}`)).toEqual([
      '80:tcp',
      '5432:tcp',
      '8080:http',
      '6379:tcp',
    ]);
  });
});

describe('updates weft does not read', () => {
  it('a status-only update changes nothing; a fix after a rejection re-accepts even when equal to the last good version', () => {
    const state = new MeshState();
    const good = split('api', 'api', [['a', 1]]);
    state.apply([svc('api'), svc('a'), good]);
    const withStatus = split('api', 'api', [['a', 1]]);
    (withStatus as { object: Record<string, unknown> }).object.status = {
      conditions: [{ type: 'Accepted', status: 'True' }],
    };
    const quiet = state.apply([withStatus]);
    expect(quiet.dirty.size).toBe(0);
    expect(quiet.conditions).toEqual([]);

    const bad = state.apply([split('api', 'api', [['a', -1]])]);
    expect(bad.conditions[0]?.condition).toMatchObject({ reason: 'Invalid' });
    const fixed = state.apply([good]);
    expect(fixed.conditions).toEqual([expect.objectContaining({ condition: { status: 'accepted' } })]);
  });
});
