// Ingress problems as Warning Events, against a real HTTP fake of the API server fed through the
// real KubernetesSource and MeshState: one Event per problem when the set changes, none while it
// stays, none from a replica that does not lead, the standing ones from a new leader.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ControlPlaneMetrics } from '../metrics.js';
import { MeshState } from '../model/mesh-state.js';
import { FakeKubeApi } from '../test-support/fake-kube-api.js';
import { IngressEventWriter } from './ingress-event-writer.js';
import { KubernetesSource } from './kubernetes-source.js';

let api: FakeKubeApi;
let source: KubernetesSource;
let state: MeshState;
let leading: boolean;
let writer: IngressEventWriter;

const svc = (name: string) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'shop' },
  spec: { ports: [{ name: 'http', port: 80 }] },
});

const ingress = (backend: string) => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name: 'web', namespace: 'shop', uid: 'ing-1', creationTimestamp: '2026-01-01T00:00:00Z' },
  spec: { ingressClassName: 'weft', defaultBackend: { service: { name: backend, port: { number: 80 } } } },
});

beforeEach(async () => {
  api = new FakeKubeApi();
  api.serve('networking.k8s.io', 'v1', 'ingresses', 'Ingress');
  await api.listen();
  api.apply(svc('web'));
  const metrics = new ControlPlaneMetrics();
  state = new MeshState();
  leading = true;
  writer = new IngressEventWriter({
    kubeConfig: api.kubeConfig(),
    metrics,
    lookup: (ref) => state.get(ref),
    canWrite: () => leading,
  });
  source = new KubernetesSource({ kubeConfig: api.kubeConfig(), metrics });
  await source.start((events) => writer.report(state.apply(events).ingressProblems));
});

afterEach(async () => {
  await source.close();
  await api.close();
});

const events = () =>
  api.writes
    .filter((w) => w.method === 'POST' && w.path === '/api/v1/namespaces/shop/events')
    .map(
      (w) => w.body as { type: string; reason: string; message: string; involvedObject: { kind: string } },
    );

describe('IngressEventWriter', () => {
  it('writes one Warning Event per problem when the set changes, and none while it stays', async () => {
    api.apply(ingress('cart'));
    await expect.poll(() => events().length).toBe(1);
    expect(events()[0]).toMatchObject({
      type: 'Warning',
      reason: 'BackendNotFound',
      message: 'spec.defaultBackend.service.name: Service shop/cart does not exist',
      involvedObject: { kind: 'Ingress', name: 'web', namespace: 'shop', uid: 'ing-1' },
    });
    // An unrelated Service: the gateway is translated again, the problem set is the same.
    api.apply(svc('other'));
    await expect.poll(() => state.get({ kind: 'Service', namespace: 'shop', name: 'other' })).toBeDefined();
    // Fixed by the Service appearing: the set changes to empty, which writes nothing.
    api.apply(svc('cart'));
    await expect.poll(() => state.get({ kind: 'Service', namespace: 'shop', name: 'cart' })).toBeDefined();
    await writer.idle();
    expect(events()).toHaveLength(1);
  });

  it('writes nothing on a replica that does not lead', async () => {
    leading = false;
    api.apply(ingress('cart'));
    await expect.poll(() => state.get({ kind: 'Ingress', namespace: 'shop', name: 'web' })).toBeDefined();
    await writer.idle();
    expect(events()).toEqual([]);
  });

  it('writes the standing problems when the replica becomes the leader, once per Event', async () => {
    leading = false;
    api.apply(ingress('cart'));
    await expect.poll(() => state.get({ kind: 'Ingress', namespace: 'shop', name: 'web' })).toBeDefined();
    await writer.idle();
    expect(events()).toEqual([]);
    // The old leader died before writing: the new one reports every current problem (run.ts).
    leading = true;
    writer.report(state.gateway.allIngressProblems());
    await expect.poll(() => events().length).toBe(1);
    expect(events()[0]).toMatchObject({
      reason: 'BackendNotFound',
      involvedObject: { kind: 'Ingress', name: 'web' },
    });
    // Leading again (or a second replica reporting the same): the same Event name, so the API
    // server keeps one (the second create is 409 AlreadyExists, which the writer takes as done).
    writer.report(state.gateway.allIngressProblems());
    await writer.idle();
    const names = api.writes
      .filter((w) => w.method === 'POST' && w.path === '/api/v1/namespaces/shop/events')
      .map((w) => (w.body as { metadata: { name: string } }).metadata.name);
    expect(names).toHaveLength(2);
    expect(new Set(names).size).toBe(1);
  });
});
