import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MeshState } from '../model/mesh-state.js';
import { ResourceBuilder } from '../model/resource-builder.js';
import { FakeKubeApi } from '../test-support/fake-kube-api.js';
import { KubernetesSource } from './kubernetes-source.js';

function svc(name: string, ns = 'shop') {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: ns, creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: {
      clusterIP: '10.96.0.20',
      selector: { app: name },
      ports: [{ name: 'http', port: 80, targetPort: 8080 }],
    },
  };
}

function slice(service: string, ips: string[], ns = 'shop', ready = true) {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${service}-abc`, namespace: ns, labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: ips.map((ip, i) => ({
      addresses: [ip],
      conditions: { ready },
      targetRef: { kind: 'Pod', name: `${service}-${i}`, namespace: ns },
      zone: 'z1',
    })),
  };
}

function pod(name: string, sa: string, meshed: boolean, ns = 'shop') {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels: { app: 'api' } },
    spec: {
      serviceAccountName: sa,
      containers: [{ name: 'app' }, ...(meshed ? [{ name: 'weft-proxy' }] : [])],
    },
    status: { podIP: '10.1.0.1' },
  };
}

let api: FakeKubeApi;
let source: KubernetesSource;
let state: MeshState;
let builder: ResourceBuilder;

function endpoints(service: string): string[] {
  const d = builder.destination('shop', service, 80);
  if (d.type !== 'destination') return [];
  return (d.message.backends?.[0]?.endpoints ?? []).map((e) => `${e.address}:${e.port}:${e.identity}`);
}

async function startSource(options: { probeIntervalMs?: number } = {}) {
  state = new MeshState();
  builder = new ResourceBuilder(state);
  source = new KubernetesSource({
    kubeConfig: api.kubeConfig(),
    baseBackoffMs: 5,
    maxBackoffMs: 20,
    ...options,
  });
  await source.start((events) => builder.invalidate(state.apply(events)));
}

beforeEach(async () => {
  api = new FakeKubeApi();
  await api.listen();
});

afterEach(async () => {
  await source?.close();
  await api.close();
});

describe('KubernetesSource', () => {
  it('is ready after the initial sync, with the listed state', async () => {
    api.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } });
    api.apply(svc('api'));
    api.apply(pod('api-0', 'api-sa', true));
    api.apply(slice('api', ['10.1.0.1', '10.1.0.2']));
    await startSource();
    expect(source.ready()).toBe(true);
    expect(endpoints('api')).toEqual([
      '10.1.0.1:8080:spiffe://cluster.local/ns/shop/sa/api-sa',
      '10.1.0.2:8080:',
    ]);
    expect(builder.resolve('10.96.0.20:80', 'web')).toMatchObject({ type: 'service', service: 'api' });
  });

  it('follows watch events', async () => {
    api.apply(svc('api'));
    await startSource();
    api.apply(slice('api', ['10.1.0.5']));
    await expect.poll(() => endpoints('api')).toEqual(['10.1.0.5:8080:']);
    api.apply(slice('api', ['10.1.0.5'], 'shop', false));
    await expect.poll(() => endpoints('api')).toEqual([]);
  });

  it('restarts the informer after a dropped watch connection', async () => {
    api.apply(svc('api'));
    await startSource();
    await expect.poll(() => api.stats('', 'v1', 'services').open).toBe(1);
    api.dropWatches();
    api.apply(svc('cart'));
    await expect.poll(() => state.service('shop', 'cart')?.name).toBe('cart');
    const services = source.informers().find((i) => i.kind === 'Service');
    expect(services?.restarts).toBeGreaterThanOrEqual(1);
  });

  it('restarts with backoff after a watch fails with an HTTP error', async () => {
    api.failWatches(3, 500);
    api.apply(svc('api'));
    await startSource();
    api.apply(svc('cart'));
    await expect.poll(() => state.service('shop', 'cart')?.name).toBe('cart');
    const restarts = source.informers().reduce((n, i) => n + i.restarts, 0);
    expect(restarts).toBeGreaterThanOrEqual(3);
  });

  it('re-lists after 410 Gone and sees deletions made meanwhile', async () => {
    api.apply(svc('api'));
    api.apply(svc('cart'));
    await startSource();
    await expect.poll(() => api.stats('', 'v1', 'services').open).toBe(1);
    const before = api.stats('', 'v1', 'services').lists;
    // While the watch is away the history is compacted: the next watch gets 410 and must re-list.
    api.endWatches();
    api.remove('v1', 'Service', 'shop', 'cart');
    api.apply(svc('store'));
    api.compact();
    await expect.poll(() => state.service('shop', 'store')?.name).toBe('store');
    await expect.poll(() => state.service('shop', 'cart')).toBeUndefined();
    expect(api.stats('', 'v1', 'services').lists).toBeGreaterThan(before);
  });

  it('watches HTTPRoute only once its CRD is served', async () => {
    await startSource({ probeIntervalMs: 20 });
    expect(source.informers().map((i) => i.kind)).not.toContain('HTTPRoute');
    api.serve('gateway.networking.k8s.io', 'v1', 'httproutes', 'HTTPRoute');
    await expect.poll(() => source.informers().find((i) => i.kind === 'HTTPRoute')?.synced).toBe(true);
  });

  it('fails start with a clear error when the API server is unreachable', async () => {
    const port = api.port;
    await api.close();
    state = new MeshState();
    source = new KubernetesSource({ kubeConfig: api.kubeConfig(), syncTimeoutMs: 2000 });
    await expect(source.start(() => undefined)).rejects.toThrow(
      `cannot reach the Kubernetes API at http://127.0.0.1:${port}`,
    );
    api = new FakeKubeApi();
    await api.listen();
  });
});
