// The tables of `weft proxy-config` and `weft debug state`, from answers shaped as the servers send them.
import { describe, expect, it } from 'vitest';
import { renderDebugState } from './debug-state-view.js';
import { renderProxyConfig } from './proxy-config-view.js';

const endpoint = (identity: string) => ({
  address: '127.0.0.1',
  port: 80,
  identity,
  meshed: { inboundPort: 7143 },
});

describe('renderProxyConfig', () => {
  it('shows the policy, one row per endpoint, and the split of each route', () => {
    const text = renderProxyConfig({
      version: '7',
      inboundPolicy: { mtlsMode: 'MTLS_MODE_PERMISSIVE', defaultAction: 'DEFAULT_ACTION_ALLOW_ALL' },
      mesh: { trustDomain: 'cluster.local' },
      destinations: {
        'api.demo:80': {
          type: 'destination',
          destination: {
            protocol: 'PROTOCOL_HTTP',
            backends: [
              { name: 'api-v1.demo:80', endpoints: [endpoint('spiffe://cluster.local/ns/demo/sa/api-v1')] },
              { name: 'api-v2.demo:80', endpoints: [] },
            ],
            routes: [
              {
                name: 'trafficsplit/demo/api',
                backends: [
                  { backend: 'api-v1.demo:80', weight: 90 },
                  { backend: 'api-v2.demo:80', weight: 10 },
                ],
              },
            ],
          },
        },
        'gone.demo:80': { type: 'does-not-exist', reason: 'no such service' },
      },
    });
    const lines = text.split('\n');
    expect(lines[1]).toMatch(/^7\s+permissive\s+allow-all\s+cluster\.local$/);
    expect(text).toMatch(
      /api\.demo:80\s+http\s+api-v1\.demo:80\s+127\.0\.0\.1:80\s+spiffe:\/\/cluster\.local\/ns\/demo\/sa\/api-v1\s+meshed/,
    );
    expect(text).toMatch(/api\.demo:80\s+http\s+api-v2\.demo:80\s+-\s+-\s+no endpoints/);
    expect(text).toMatch(/gone\.demo:80\s+-\s+-\s+-\s+-\s+does not exist: no such service/);
    expect(text).toMatch(/trafficsplit\/demo\/api\s+api-v1\.demo:80=90 api-v2\.demo:80=10/);
  });

  it('says so for a proxy without control plane, and survives any shape', () => {
    expect(renderProxyConfig({ controlPlane: 'none' })).toMatch(/no control plane/);
    for (const junk of [
      null,
      42,
      'x',
      [],
      { destinations: { a: 5, b: { type: 'destination', destination: { backends: 3 } } } },
    ]) {
      expect(typeof renderProxyConfig(junk)).toBe('string');
    }
  });
});

describe('renderDebugState', () => {
  it('says who leads when the control plane elects a leader', () => {
    const leader = {
      election: 'lease',
      namespace: 'weft-system',
      name: 'weft-control-plane',
      identity: 'cp-b',
    };
    expect(renderDebugState({ version: 1, leader: { ...leader, holder: 'cp-a', leading: false } })).toContain(
      'leader cp-a (Lease weft-system/weft-control-plane; this replica cp-b follows)',
    );
    expect(renderDebugState({ version: 1, leader: { ...leader, holder: '', leading: false } })).toContain(
      'leader none (',
    );
    expect(renderDebugState({ version: 1, leader: { election: 'off', leading: true } })).toContain(
      'leader election off (this replica writes status)',
    );
    expect(renderDebugState({ version: 1 })).not.toContain('leader');
  });

  it('shows services, registrations, proxies, sources and conditions', () => {
    const text = renderDebugState({
      version: 7,
      services: [
        {
          namespace: 'demo',
          name: 'store',
          ports: [{ port: 80, protocol: 'http' }],
          endpoints: { 80: 2 },
          routed: false,
        },
      ],
      registrations: [
        {
          service: 'store',
          workload: 'store-1',
          address: '127.0.0.1',
          ports: [80],
          identity: 'spiffe://cluster.local/ns/demo/sa/store',
        },
      ],
      proxies: [
        {
          workload: 'web',
          identity: 'spiffe://x/ns/demo/sa/web',
          proxyVersion: '0.1.0',
          subscriptions: ['api.demo:80'],
          queued: 0,
          lastNack: null,
        },
      ],
      sources: { folder: { ready: true } },
      conditions: [
        {
          resource: 'TrafficSplit demo/api',
          origin: 'split.yaml',
          status: 'rejected',
          reason: 'BackendNotFound',
          message: 'no v3',
        },
      ],
    });
    expect(text).toMatch(/demo\/store\s+80\/http\s+80:2\s+no/);
    expect(text).toMatch(/store\s+store-1\s+127\.0\.0\.1\s+80\s+spiffe:/);
    expect(text).toMatch(/web\s+spiffe:\/\/x\/ns\/demo\/sa\/web\s+0\.1\.0\s+1\s+0\s+-/);
    expect(text).toMatch(/folder\s+yes/);
    expect(text).toMatch(/TrafficSplit demo\/api\s+split\.yaml\s+rejected\s+BackendNotFound\s+no v3/);
    expect(typeof renderDebugState(undefined)).toBe('string');
  });
});
