// The control plane's Kubernetes side on a real kube-apiserver 1.32: the KubernetesSource and
// status writer wired as `weft control-plane` wires them read TrafficSplits of all four SMI
// versions and write status (with observedGeneration) through each; and after the API server is
// stopped and started again — twice — the informers resume from where they were, their backoff
// has reset, and a weight change made after the return is seen.
import { KubeConfig } from '@kubernetes/client-node';
import {
  ControlPlaneMetrics,
  KubernetesSource,
  KubernetesStatusWriter,
  MeshState,
} from '@weft/control-plane';
import { systemClock } from '@weft/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../install/crd-validator.js';
import { Envtest, envtestAssets, envtestSuiteTitle } from '../support/envtest.js';

const assets = envtestAssets();
const NS = 'shop';
const VERSIONS = ['v1alpha1', 'v1alpha2', 'v1alpha3', 'v1alpha4'] as const;
const POLL = { timeout: 30_000, interval: 50 };

function splitOf(version: string, name: string, backends: unknown[]) {
  return {
    apiVersion: `split.smi-spec.io/${version}`,
    kind: 'TrafficSplit',
    metadata: { name, namespace: NS },
    spec: { service: name, backends },
  };
}

/** v1alpha1 as Flagger wrote it (quantities), the others in whole numbers. */
function backendsOf(version: string, canary: number) {
  return version === 'v1alpha1'
    ? [
        { service: 'web-v1', weight: `${1000 - canary * 10}m` },
        { service: 'web-v2', weight: `${canary * 10}m` },
      ]
    : [
        { service: 'web-v1', weight: 100 - canary },
        { service: 'web-v2', weight: canary },
      ];
}

describe.skipIf(assets.type !== 'ok')(envtestSuiteTitle('control plane on a real API server', assets), () => {
  let env: Envtest;
  let source: KubernetesSource;
  let writer: KubernetesStatusWriter;
  const state = new MeshState();

  const path = (version: string, name: string) =>
    `/apis/split.smi-spec.io/${version}/namespaces/${NS}/trafficsplits/${name}`;
  const weightsSeen = (name: string) => {
    const stored = state.get({ kind: 'TrafficSplit', namespace: NS, name });
    if (stored?.parsed.kind !== 'TrafficSplit') return undefined;
    return stored.parsed.value.spec.backends.map((b) => b.weight);
  };

  beforeAll(async () => {
    if (assets.type !== 'ok') return;
    env = await Envtest.start(assets);
    const crds = await env.kubectl(['apply', '--server-side', '-f', `${REPO}crds/`]);
    if (crds.code !== 0) throw new Error(crds.stderr);
    await env.kubectl([
      'wait',
      '--for=condition=Established',
      '--timeout=30s',
      'crd/trafficsplits.split.smi-spec.io',
    ]);
    const services = ['web-v1', 'web-v2', 'web-outage', ...VERSIONS.map((v) => `web-${v}`)].map((name) => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: NS },
      spec: { ports: [{ name: 'http', port: 80 }] },
    }));
    const setup = await env.kubectl(
      ['apply', '--server-side', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }, ...services],
      }),
    );
    if (setup.code !== 0) throw new Error(setup.stderr);
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(env.kubeconfigPath);
    const metrics = new ControlPlaneMetrics();
    writer = new KubernetesStatusWriter({ kubeConfig, metrics, lookup: (ref) => state.get(ref) });
    source = new KubernetesSource({ kubeConfig, metrics });
    await source.start((events) => writer.report(state.apply(events).conditions));
  }, 120_000);

  afterAll(async () => {
    await source?.close();
    await env?.close();
  });

  it('reads TrafficSplits of all four versions and writes status with observedGeneration through each', async () => {
    for (const v of VERSIONS) {
      const r = await env.api(
        'POST',
        path(v, '').replace(/\/$/, ''),
        splitOf(v, `web-${v}`, backendsOf(v, 10)),
      );
      expect(r.status, JSON.stringify(r.body)).toBe(201);
    }
    for (const v of VERSIONS) {
      await expect.poll(() => weightsSeen(`web-${v}`), POLL).toBeDefined();
      // Read back through its own version: Accepted=True for the generation it describes.
      await expect
        .poll(async () => {
          const r = await env.api('GET', path(v, `web-${v}`));
          const status = r.body.status ?? {};
          return {
            apiVersion: r.body.apiVersion,
            observedGeneration: status.observedGeneration,
            condition: status.conditions?.[0] && {
              type: status.conditions[0].type,
              status: status.conditions[0].status,
              observedGeneration: status.conditions[0].observedGeneration,
            },
          };
        }, POLL)
        .toEqual({
          apiVersion: `split.smi-spec.io/${v}`,
          observedGeneration: 1,
          condition: { type: 'Accepted', status: 'True', observedGeneration: 1 },
        });
    }
    // A rejected split gets Accepted=False with the reason, and a Warning Event.
    const bad = splitOf('v1alpha1', 'web-v1alpha1', [{ service: 'missing', weight: '1' }]);
    const r = await env.api('PUT', path('v1alpha1', 'web-v1alpha1'), {
      ...bad,
      metadata: {
        ...bad.metadata,
        resourceVersion: (await env.api('GET', path('v1alpha1', 'web-v1alpha1'))).body.metadata
          .resourceVersion,
      },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    await expect
      .poll(
        async () => (await env.api('GET', path('v1alpha1', 'web-v1alpha1'))).body.status?.conditions?.[0],
        POLL,
      )
      .toMatchObject({ type: 'Accepted', status: 'False', observedGeneration: 2 });
    await expect
      .poll(async () => {
        const events = await env.api('GET', `/api/v1/namespaces/${NS}/events`);
        return events.body.items?.some(
          (e: any) => e.type === 'Warning' && e.involvedObject?.name === 'web-v1alpha1',
        );
      }, POLL)
      .toBe(true);
  }, 90_000);

  it('resumes after two API server outages with its backoff reset, and sees a change made after the return', async () => {
    const name = 'web-outage';
    const created = await env.api(
      'POST',
      `/apis/split.smi-spec.io/v1alpha2/namespaces/${NS}/trafficsplits`,
      splitOf('v1alpha2', name, backendsOf('v1alpha2', 10)),
    );
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    await expect.poll(() => weightsSeen(name), POLL).toEqual([90, 10]);
    const informers = () => source.informers();
    // A wait is the backoff (capped) or the server's Retry-After (capped): the API server answers
    // 503 with Retry-After while it installs CRD paths after /readyz.
    // The bound: back within 5 s of the server's return, so no backoff wait may be longer.
    // Fixed numbers, not the module's defaults: the test must fail if those grow.
    const maxBackoffMs = 5_000 / 1.2;
    const maxRetryAfterMs = 10_000;
    const baseBackoffMs = 500;
    for (const [round, canary] of [
      [1, 20],
      [2, 30],
    ] as const) {
      const restartsBefore = informers().reduce((n, i) => n + i.restarts, 0);
      const stopClock = systemClock.monotonic();
      await env.stopApiServer();
      // A long outage: every informer fails five times in a row (a 30 s cap used to let the
      // fifth wait 8 s, the sixth 16 s, then 30 s, so a change came long after the server's return).
      await expect
        .poll(() => informers().every((i) => i.consecutiveFailures >= 5), { timeout: 60_000, interval: 100 })
        .toBe(true);
      const during = informers().map((i) => ({
        kind: i.kind,
        retries: i.recentRetries.filter((r) => r.atMs >= stopClock),
      }));
      for (const { kind, retries } of during) {
        // The outage starts again from the base backoff: it was reset after the last one.
        expect(retries[0]?.delayMs, `${kind} ${JSON.stringify(retries)}`).toBeLessThanOrEqual(
          baseBackoffMs * 1.2,
        );
        for (const r of retries)
          expect(r.delayMs, `${kind} ${JSON.stringify(r)}`).toBeLessThanOrEqual(maxBackoffMs * 1.2);
      }
      await env.startApiServer();
      const back = performance.now();
      const backClock = systemClock.monotonic();
      const patch = await env.api(
        'PATCH',
        path('v1alpha2', name),
        { spec: { backends: backendsOf('v1alpha2', canary) } },
        'application/merge-patch+json',
      );
      expect(patch.status, JSON.stringify(patch.body)).toBe(200);
      await expect.poll(() => weightsSeen(name), POLL).toEqual([100 - canary, canary]);
      const seenAfterMs = Math.round(performance.now() - back);
      // The backoff reset once the watches resumed; no wait was ever longer than the cap.
      await expect.poll(() => informers().every((i) => i.consecutiveFailures === 0), POLL).toBe(true);
      // Once the server was back, no informer waited longer than the backoff cap, except where
      // the server's Retry-After said so (capped too). Before the fix, 503s during warm-up
      // doubled a backoff that had grown through the outage (up to 30 s).
      for (const i of informers()) {
        for (const r of i.recentRetries.filter((x) => x.atMs >= backClock)) {
          const cap = (r.reason === 'backoff' ? maxBackoffMs : maxRetryAfterMs) * 1.2;
          expect(r.delayMs, `${i.kind} ${JSON.stringify(r)}`).toBeLessThanOrEqual(cap);
        }
      }

      expect(informers().reduce((n, i) => n + i.restarts, 0)).toBeGreaterThan(restartsBefore);
      await expect
        .poll(
          async () => (await env.api('GET', path('v1alpha2', name))).body.status?.observedGeneration,
          POLL,
        )
        .toBe(round + 1);
      process.stderr.write(`outage ${round}: the weight change was seen ${seenAfterMs} ms after /readyz\n`);
    }
  }, 240_000);
});
