import { ManualClock } from '@weft/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ControlPlaneMetrics } from '../metrics.js';
import { MeshState } from '../model/mesh-state.js';
import { FakeKubeApi } from '../test-support/fake-kube-api.js';
import { KubernetesSource } from './kubernetes-source.js';
import { KubernetesStatusWriter } from './status-writer.js';

let api: FakeKubeApi;
let source: KubernetesSource;
let writer: KubernetesStatusWriter;
let state: MeshState;

const svc = (name: string) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'test' },
  spec: { ports: [{ name: 'http', port: 9898 }] },
});

beforeEach(async () => {
  api = new FakeKubeApi();
  // Only v1alpha2 is served (as with Linkerd's SMI extension): the source must fall back to it.
  api.serve('split.smi-spec.io', 'v1alpha2', 'trafficsplits', 'TrafficSplit');
  api.serve('gateway.networking.k8s.io', 'v1', 'httproutes', 'HTTPRoute');
  await api.listen();
  for (const name of ['podinfo', 'podinfo-primary', 'podinfo-canary']) api.apply(svc(name));
  const metrics = new ControlPlaneMetrics();
  state = new MeshState();
  writer = new KubernetesStatusWriter({
    kubeConfig: api.kubeConfig(),
    metrics,
    lookup: (ref) => state.get(ref),
  });
  source = new KubernetesSource({ kubeConfig: api.kubeConfig(), metrics });
  await source.start((events) => writer.report(state.apply(events).conditions));
});

afterEach(async () => {
  await source.close();
  await api.close();
});

const split = (weights: [number, number]) => ({
  apiVersion: 'split.smi-spec.io/v1alpha2',
  kind: 'TrafficSplit',
  metadata: { name: 'podinfo', namespace: 'test', uid: 'uid-1', generation: weights[1] < 0 ? 3 : 4 },
  spec: {
    service: 'podinfo',
    backends: [
      { service: 'podinfo-primary', weight: weights[0] },
      { service: 'podinfo-canary', weight: weights[1] },
    ],
  },
});

describe('KubernetesStatusWriter', () => {
  it('writes Accepted=False and a Warning Event for a bad TrafficSplit, then Accepted=True when fixed', async () => {
    api.apply(split([100, -5]));
    await expect.poll(() => api.writes.length).toBe(2);
    await writer.idle();
    const [patch, event] = api.writes;
    expect(patch).toMatchObject({
      method: 'PATCH',
      path: '/apis/split.smi-spec.io/v1alpha2/namespaces/test/trafficsplits/podinfo/status',
      contentType: 'application/merge-patch+json',
      body: {
        status: {
          observedGeneration: 3,
          conditions: [
            {
              type: 'Accepted',
              status: 'False',
              observedGeneration: 3,
              reason: 'Invalid',
              message: 'spec.backends[1].weight: weight must be a non-negative number, got -5',
            },
          ],
        },
      },
    });
    expect(event).toMatchObject({
      method: 'POST',
      path: '/api/v1/namespaces/test/events',
      body: {
        type: 'Warning',
        reason: 'Invalid',
        involvedObject: {
          apiVersion: 'split.smi-spec.io/v1alpha2',
          kind: 'TrafficSplit',
          name: 'podinfo',
          namespace: 'test',
          uid: 'uid-1',
        },
      },
    });

    api.apply(split([90, 10]));
    await expect.poll(() => api.writes.length).toBe(3);
    expect(api.writes[2]).toMatchObject({
      method: 'PATCH',
      body: {
        status: {
          observedGeneration: 4,
          conditions: [{ type: 'Accepted', status: 'True', observedGeneration: 4 }],
        },
      },
    });
  });

  it('writes status again for a new generation whose condition did not change', async () => {
    api.apply(split([90, 10]));
    await expect.poll(() => api.writes.length).toBe(1);
    const next = split([80, 20]);
    api.apply({ ...next, metadata: { ...next.metadata, generation: 5 } });
    await expect.poll(() => api.writes.length).toBe(2);
    expect(api.writes[1]).toMatchObject({
      body: { status: { observedGeneration: 5, conditions: [{ status: 'True', observedGeneration: 5 }] } },
    });
  });

  it('writes HTTPRoute status per Service parent', async () => {
    api.apply({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'podinfo', namespace: 'test' },
      spec: {
        parentRefs: [{ group: '', kind: 'Service', name: 'podinfo', port: 9898 }],
        rules: [{ backendRefs: [{ name: 'missing', port: 9898 }] }],
      },
    });
    await expect.poll(() => api.writes.length).toBe(2);
    expect(api.writes[0]).toMatchObject({
      method: 'PUT',
      path: '/apis/gateway.networking.k8s.io/v1/namespaces/test/httproutes/podinfo/status',
      body: {
        status: {
          parents: [
            {
              parentRef: { group: '', kind: 'Service', name: 'podinfo', port: 9898 },
              controllerName: 'weft.dev/mesh',
              conditions: [
                {
                  type: 'Accepted',
                  status: 'False',
                  reason: 'BackendNotFound',
                  message: 'spec.rules[0].backendRefs[0].name: Service test/missing does not exist',
                },
              ],
            },
          ],
        },
      },
    });
  });
});

describe('KubernetesStatusWriter retries', () => {
  it('retries a failed status write with backoff', async () => {
    const clock = new ManualClock();
    const retrying = new KubernetesStatusWriter({
      kubeConfig: api.kubeConfig(),
      metrics: new ControlPlaneMetrics(),
      clock,
    });
    api.failWrites(1, 500);
    const before = api.writes.length;
    retrying.report([
      {
        ref: { kind: 'TrafficPolicy', namespace: 'test', name: 'p' },
        origin: { source: 'kubernetes', apiVersion: 'weft.dev/v1alpha1' },
        condition: { status: 'accepted' },
      },
    ]);
    await retrying.idle();
    expect(api.writes.length - before).toBe(1);
    expect(clock.pending).toBe(1);
    clock.advance(1000);
    await expect.poll(() => api.writes.length - before).toBe(2);
    await retrying.idle();
    expect(api.writes.at(-1)).toMatchObject({
      method: 'PATCH',
      path: '/apis/weft.dev/v1alpha1/namespaces/test/trafficpolicies/p/status',
    });
    expect(clock.pending).toBe(0);
  });
});

describe('KubernetesStatusWriter replicas', () => {
  it('does not duplicate an Event another replica already wrote', async () => {
    const change = {
      ref: { kind: 'TrafficPolicy' as const, namespace: 'test', name: 'p' },
      origin: { source: 'kubernetes', apiVersion: 'weft.dev/v1alpha1', uid: 'u-1', resourceVersion: '7' },
      condition: {
        status: 'rejected' as const,
        reason: 'TargetNotFound',
        message: 'spec.targetRef.name: Service test/x does not exist',
      },
    };
    const metrics = [new ControlPlaneMetrics(), new ControlPlaneMetrics()];
    const clocks = [new ManualClock(), new ManualClock()];
    const replicas = [0, 1].map(
      (i) =>
        new KubernetesStatusWriter({
          kubeConfig: api.kubeConfig(),
          metrics: metrics[i] as ControlPlaneMetrics,
          clock: clocks[i],
        }),
    );
    const before = api.writes.length;
    for (const r of replicas) {
      r.report([change]);
      await r.idle();
    }
    const posts = api.writes.slice(before).filter((w) => w.method === 'POST');
    expect(posts).toHaveLength(2);
    const names = posts.map((p) => (p.body as { metadata: { name: string } }).metadata.name);
    expect(names[0]).toBe(names[1]);
    expect(clocks.map((c) => c.pending)).toEqual([0, 0]);
    expect((await metrics[1]?.sourceErrors.get())?.values).toEqual([]);
  });
});
