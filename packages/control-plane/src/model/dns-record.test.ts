import { describe, expect, it } from 'vitest';
import type { SourceEvent } from '../sources/config-source.js';
import { MeshState } from './mesh-state.js';
import { DNS_TTL_SECONDS, ResourceBuilder } from './resource-builder.js';
import { keys } from './watch-keys.js';

function service(name: string, spec: Record<string, unknown>): SourceEvent {
  return {
    type: 'upsert',
    ref: { kind: 'Service', namespace: 'shop', name },
    object: {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: 'shop' },
      spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }], ...spec },
    },
    origin: { source: 'test' },
  };
}

function endpoints(svc: string, addresses: string[]): SourceEvent {
  return {
    type: 'upsert',
    ref: { kind: 'StaticEndpoints', namespace: 'shop', name: svc },
    object: {
      apiVersion: 'weft.dev/v1alpha1',
      kind: 'StaticEndpoints',
      metadata: { name: svc, namespace: 'shop' },
      spec: { service: svc, endpoints: addresses.map((address) => ({ address })) },
    },
    origin: { source: 'test' },
  };
}

function setup() {
  const state = new MeshState();
  state.apply([
    service('api', { clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10', 'fd00::10'] }),
    service('db', { clusterIP: 'None' }),
    endpoints('db', ['10.1.0.2', '10.1.0.1', '10.1.0.2', 'db.example.org']),
    service('local', {}),
    service('other', {}),
    service('ext', { type: 'ExternalName' }),
  ]);
  return { state, builder: new ResourceBuilder(state) };
}

describe('ResourceBuilder.dnsRecord', () => {
  it('answers a Service with its ClusterIPs, a TTL, its ports, and watches the Service', () => {
    const { builder } = setup();
    const r = builder.dnsRecord('api.shop.svc.cluster.local', 'shop/web-1');
    expect(r).toMatchObject({
      type: 'record',
      message: {
        fqdn: 'api.shop.svc.cluster.local',
        addresses: ['10.96.0.10', 'fd00::10'],
        ttl: { seconds: DNS_TTL_SECONDS },
        ports: [80],
      },
      watch: [keys.service('shop/api')],
    });
  });

  it('answers a headless Service with its endpoint addresses, once each, leaving host names out', () => {
    const { builder } = setup();
    const r = builder.dnsRecord('db.shop.svc.cluster.local', 'shop/web-1');
    expect(r.type === 'record' ? r.message.addresses : []).toEqual(['10.1.0.1', '10.1.0.2']);
  });

  it('gives a Service without a ClusterIP (local mode) a stable loopback address per client proxy', () => {
    const { builder } = setup();
    const a = builder.dnsRecord('local.shop.svc.cluster.local', 'shop/web-1');
    const b = builder.dnsRecord('other.shop.svc.cluster.local', 'shop/web-1');
    const otherClient = builder.dnsRecord('local.shop.svc.cluster.local', 'shop/web-2');
    const addrA = a.type === 'record' ? a.message.addresses[0] : '';
    const addrB = b.type === 'record' ? b.message.addresses[0] : '';
    expect(addrA).toMatch(/^127\.77\.\d+\.\d+$/);
    expect(addrB).toMatch(/^127\.77\.\d+\.\d+$/);
    expect(addrA).not.toBe(addrB);
    // Another client proxy on the same machine gets its own address for the same Service.
    expect(otherClient.type === 'record' ? otherClient.message.addresses[0] : addrA).not.toBe(addrA);
    const again = builder.dnsRecord('local.shop.svc.cluster.local', 'shop/web-1');
    expect(again.type === 'record' ? again.message.addresses[0] : '').toBe(addrA);
  });

  it('says does-not-exist for unknown Services, ExternalName Services and names of another shape', () => {
    const { builder } = setup();
    expect(builder.dnsRecord('nope.shop.svc.cluster.local', 'shop/web-1')).toMatchObject({
      type: 'does-not-exist',
      reason: 'Service shop/nope does not exist',
      watch: [keys.service('shop/nope')],
    });
    expect(builder.dnsRecord('ext.shop.svc.cluster.local', 'shop/web-1').type).toBe('does-not-exist');
    expect(builder.dnsRecord('a.b.shop.svc.cluster.local', 'shop/web-1').type).toBe('does-not-exist');
    expect(builder.dnsRecord('api.shop.svc.example.org', 'shop/web-1').type).toBe('does-not-exist');
  });
});
