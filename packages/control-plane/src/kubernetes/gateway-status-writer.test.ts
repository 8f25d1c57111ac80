// Gateway API status through a fake API server speaking the real wire format: GatewayClass
// Accepted, Gateway Accepted/Programmed with listener conditions and attachedRoutes, route
// parents for the accepted case and each rejection reason; unchanged status is not rewritten
// and lastTransitionTime stays; other controllers' route parents are kept.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlPlaneMetrics } from '../metrics.js';
import { MeshState } from '../model/mesh-state.js';
import { createTestPki, type TestPki } from '../test-support/certs.js';
import { FakeKubeApi } from '../test-support/fake-kube-api.js';
import { GatewayStatusWriter } from './gateway-status-writer.js';
import { KubernetesSource } from './kubernetes-source.js';

const GW = 'gateway.networking.k8s.io/v1';
let api: FakeKubeApi;
let source: KubernetesSource;
let writer: GatewayStatusWriter;
let pki: TestPki;
const state = new MeshState();

type Obj = Record<string, unknown> & { status?: Record<string, unknown> };
const get = (kind: string, ns: string, name: string, apiVersion = GW) =>
  api.get(apiVersion, kind, ns, name) as Obj | undefined;

function route(name: string, spec: Record<string, unknown>, ns = 'edge') {
  return {
    apiVersion: GW,
    kind: 'HTTPRoute',
    metadata: { name, namespace: ns, generation: 1, creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: { parentRefs: [{ name: 'gw', namespace: 'edge' }], ...spec },
  };
}

const gatewayStatus = () =>
  (get('Gateway', 'edge', 'gw')?.status ?? { conditions: [], listeners: [] }) as {
    conditions: Obj[];
    listeners: { attachedRoutes: number }[];
  };

const parentConds = (name: string) => {
  const parents = (get('HTTPRoute', 'edge', name)?.status?.parents ?? []) as {
    controllerName: string;
    conditions: { type: string; status: string; reason: string }[];
  }[];
  return parents
    .filter((p) => p.controllerName === 'weft.dev/gateway')
    .map((p) => Object.fromEntries(p.conditions.map((c) => [c.type, `${c.status}/${c.reason}`])));
};

beforeAll(async () => {
  pki = createTestPki();
  api = new FakeKubeApi();
  for (const [plural, kind] of [
    ['gatewayclasses', 'GatewayClass'],
    ['gateways', 'Gateway'],
    ['httproutes', 'HTTPRoute'],
    ['grpcroutes', 'GRPCRoute'],
    ['referencegrants', 'ReferenceGrant'],
  ] as const)
    api.serve('gateway.networking.k8s.io', 'v1', plural, kind);
  api.serve('', 'v1', 'secrets', 'Secret');
  api.serve('networking.k8s.io', 'v1', 'ingresses', 'Ingress');
  await api.listen();
  api.apply({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'edge' },
    spec: { ports: [{ port: 80 }] },
  });
  api.apply({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'cart', namespace: 'shop' },
    spec: { ports: [{ port: 80 }] },
  });
  // The gateway's own Service: its load balancer address is the Gateways' address.
  api.apply({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'weft-gateway', namespace: 'weft-system' },
    spec: { type: 'LoadBalancer', ports: [{ port: 443 }] },
    status: { loadBalancer: { ingress: [{ ip: '203.0.113.7' }] } },
  });
  // An Opaque Secret is never listed (field selector type=kubernetes.io/tls).
  api.apply({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'password', namespace: 'edge' },
    type: 'Opaque',
    data: { p: 'eA==' },
  });
  const b64 = (b: Buffer) => b.toString('base64');
  api.apply({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'good', namespace: 'edge' },
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': b64(pki.server.cert), 'tls.key': b64(pki.server.key), 'ca.crt': b64(pki.ca) },
  });
  api.apply({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'bad', namespace: 'edge' },
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': b64(Buffer.from('junk')), 'tls.key': b64(pki.server.key) },
  });
  api.apply({
    apiVersion: GW,
    kind: 'GatewayClass',
    metadata: { name: 'weft', generation: 1 },
    spec: { controllerName: 'weft.dev/gateway' },
  });
  api.apply({
    apiVersion: GW,
    kind: 'Gateway',
    metadata: { name: 'gw', namespace: 'edge', generation: 3, creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: {
      gatewayClassName: 'weft',
      listeners: [
        { name: 'http', port: 80, protocol: 'HTTP', hostname: '*.example.com' },
        {
          name: 'https',
          port: 443,
          protocol: 'HTTPS',
          hostname: 'a.example.com',
          tls: { certificateRefs: [{ name: 'good' }] },
        },
        {
          name: 'broken',
          port: 443,
          protocol: 'HTTPS',
          hostname: 'b.example.com',
          tls: { certificateRefs: [{ name: 'bad' }] },
        },
        { name: 'twice', port: 80, protocol: 'HTTP', hostname: '*.example.com' },
      ],
    },
  });
  api.apply(route('ok', { rules: [{ backendRefs: [{ name: 'web', port: 80 }] }] }));
  api.apply(route('other-ns', { rules: [{ backendRefs: [{ name: 'cart', port: 80 }] }] }, 'shop'));
  api.apply(
    route('wrong-host', {
      hostnames: ['example.net'],
      rules: [{ backendRefs: [{ name: 'web', port: 80 }] }],
    }),
  );
  api.apply(
    route('no-listener', {
      parentRefs: [{ name: 'gw', sectionName: 'nope' }],
      rules: [{ backendRefs: [{ name: 'web', port: 80 }] }],
    }),
  );
  api.apply(
    route('regex', {
      rules: [
        {
          matches: [{ path: { type: 'RegularExpression', value: '(a+)+' } }],
          backendRefs: [{ name: 'web', port: 80 }],
        },
      ],
    }),
  );
  api.apply(route('missing', { rules: [{ backendRefs: [{ name: 'gone', port: 80 }] }] }));
  api.apply(route('cross', { rules: [{ backendRefs: [{ name: 'cart', namespace: 'shop', port: 80 }] }] }));
  api.apply(
    route('kind', {
      rules: [{ backendRefs: [{ group: 'example.com', kind: 'Bucket', name: 'b', port: 80 }] }],
    }),
  );
  api.apply({
    ...route('shared', {
      parentRefs: [{ name: 'gw' }, { name: 'theirs' }],
      rules: [{ backendRefs: [{ name: 'web', port: 80 }] }],
    }),
    status: {
      parents: [{ parentRef: { name: 'theirs' }, controllerName: 'example.com/gateway', conditions: [] }],
    },
  });
  const metrics = new ControlPlaneMetrics();
  writer = new GatewayStatusWriter({
    kubeConfig: api.kubeConfig(),
    metrics,
    lookup: (ref) => state.get(ref),
  });
  source = new KubernetesSource({ kubeConfig: api.kubeConfig(), metrics });
  await source.start((events) => writer.report(state.apply(events).gatewayStatuses));
});

afterAll(async () => {
  await source?.close();
  await api?.close();
  pki?.cleanup();
});

describe('the Secret informer', () => {
  it('lists and watches TLS Secrets only (field selector), with only tls.crt and tls.key kept', () => {
    expect(state.get({ kind: 'Secret', namespace: 'edge', name: 'password' })).toBeUndefined();
    const good = state.get({ kind: 'Secret', namespace: 'edge', name: 'good' });
    if (good?.parsed.kind !== 'Secret') throw new Error('the TLS Secret was not read');
    expect(Object.keys(good.parsed.value.data).sort()).toEqual(['tls.crt', 'tls.key']);
    const selectors = api.stats('', 'v1', 'secrets').selectors;
    expect(selectors.length).toBeGreaterThanOrEqual(2); // the probe, the list, the watch
    expect(new Set(selectors)).toEqual(new Set(['type=kubernetes.io/tls']));
  });
});

describe('GatewayStatusWriter', () => {
  it('writes GatewayClass Accepted and Gateway Accepted/Programmed with listener conditions', async () => {
    await expect
      .poll(() => (get('GatewayClass', '', 'weft')?.status?.conditions as unknown[] | undefined)?.[0])
      .toMatchObject({ type: 'Accepted', status: 'True', reason: 'Accepted', observedGeneration: 1 });
    await expect.poll(() => get('Gateway', 'edge', 'gw')?.status).toBeDefined();
    const status = get('Gateway', 'edge', 'gw')?.status as {
      conditions: Obj[];
      listeners: { name: string; attachedRoutes: number; conditions: Obj[] }[];
    };
    expect(status.conditions.map((c) => `${c.type}=${c.status}/${c.reason}@${c.observedGeneration}`)).toEqual(
      ['Accepted=True/Accepted@3', 'Programmed=True/Programmed@3'],
    );
    const by = (name: string) => status.listeners.find((l) => l.name === name);
    const cond = (name: string, type: string) => {
      const c = by(name)?.conditions.find((x) => x.type === type);
      return `${c?.status}/${c?.reason}`;
    };
    expect((status as unknown as { addresses: unknown }).addresses).toEqual([
      { type: 'IPAddress', value: '203.0.113.7' },
    ]);
    expect(cond('https', 'ResolvedRefs')).toBe('True/ResolvedRefs');
    expect(cond('broken', 'ResolvedRefs')).toBe('False/InvalidCertificateRef');
    expect(cond('broken', 'Programmed')).toBe('False/Invalid');
    expect(cond('twice', 'Conflicted')).toBe('True/HostnameConflict');
    expect(by('http')?.attachedRoutes).toBe(5); // ok, missing, cross, kind, shared
    // Routes without hostnames attach to every listener they may: https serves them for a.example.com.
    expect(by('https')?.attachedRoutes).toBe(5);
    expect(by('broken')?.attachedRoutes).toBe(0);
  });

  it('writes route parents with each reason', async () => {
    await expect.poll(() => parentConds('kind').length).toBe(1);
    expect(parentConds('ok')).toEqual([{ Accepted: 'True/Accepted', ResolvedRefs: 'True/ResolvedRefs' }]);
    expect(parentConds('wrong-host')[0]?.Accepted).toBe('False/NoMatchingListenerHostname');
    expect(parentConds('no-listener')[0]?.Accepted).toBe('False/NoMatchingParent');
    expect(parentConds('regex')[0]?.Accepted).toBe('False/UnsupportedValue');
    expect(parentConds('missing')[0]?.ResolvedRefs).toBe('False/BackendNotFound');
    expect(parentConds('cross')[0]?.ResolvedRefs).toBe('False/RefNotPermitted');
    expect(parentConds('kind')[0]?.ResolvedRefs).toBe('False/InvalidKind');
    const otherNs = (get('HTTPRoute', 'shop', 'other-ns')?.status?.parents ?? []) as { conditions: Obj[] }[];
    expect(otherNs[0]?.conditions[0]).toMatchObject({
      type: 'Accepted',
      status: 'False',
      reason: 'NotAllowedByListeners',
    });
    // Another controller's parent is kept beside weft's.
    const shared = get('HTTPRoute', 'edge', 'shared')?.status?.parents as { controllerName: string }[];
    expect(shared.map((p) => p.controllerName).sort()).toEqual(['example.com/gateway', 'weft.dev/gateway']);
  });

  it('does not rewrite an unchanged status, and keeps lastTransitionTime when a condition keeps its status', async () => {
    await writer.idle();
    const before = api.writes.length;
    const stamp = gatewayStatus().conditions[0]?.lastTransitionTime;
    writer.report(state.gateway.allStatuses());
    await writer.idle();
    expect(api.writes.length).toBe(before);
    expect(writer.unchanged).toBeGreaterThan(0);
    // A new route changes attachedRoutes only: the Gateway's conditions keep their times.
    api.apply(route('later', { rules: [{ backendRefs: [{ name: 'web', port: 80 }] }] }));
    await expect.poll(() => gatewayStatus().listeners[0]?.attachedRoutes).toBe(6);
    expect(gatewayStatus().conditions[0]?.lastTransitionTime).toBe(stamp);
  });
});
