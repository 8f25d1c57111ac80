// Gateway API status on a real kube-apiserver with the upstream Gateway API CRDs (standard
// channel, v1.6.1, from the shared gateway-api folder, test/support/gateway-api-crds.ts): the CRD schemas validate every status weft
// writes. A GatewayClass, a Gateway, an HTTPRoute (one backend across namespaces allowed by a
// ReferenceGrant, one not), a GRPCRoute and a route from a namespace the listener does not
// allow; the KubernetesSource and GatewayStatusWriter run as `weft control-plane` runs them.
import { KubeConfig } from '@kubernetes/client-node';
import {
  ControlPlaneMetrics,
  GatewayStatusWriter,
  KubernetesSource,
  KubernetesStatusWriter,
  MeshState,
} from '@weft/control-plane';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Envtest, envtestAssets, envtestSuiteTitle } from '../support/envtest.js';
import { gatewayApiCrds } from '../support/gateway-api-crds.js';

const assets = envtestAssets();
const crdFolder = gatewayApiCrds();
const POLL = { timeout: 20_000, interval: 100 };
const GW = 'gateway.networking.k8s.io/v1';

type Cond = {
  type: string;
  status: string;
  reason: string;
  observedGeneration?: number;
  lastTransitionTime?: string;
};

describe.skipIf(assets.type !== 'ok' || crdFolder.type !== 'ok')(
  envtestSuiteTitle('gateway status on a real API server', assets),
  () => {
    let env: Envtest;
    let source: KubernetesSource;
    let writer: GatewayStatusWriter;
    const state = new MeshState();

    const get = async (path: string) => (await env.api('GET', path)).body;
    const routeParents = async (kind: 'httproutes' | 'grpcroutes', ns: string, name: string) => {
      const body = await get(`/apis/gateway.networking.k8s.io/v1/namespaces/${ns}/${kind}/${name}`);
      return ((body.status?.parents ?? []) as { controllerName: string; conditions: Cond[] }[]).map((p) => ({
        controllerName: p.controllerName,
        conditions: Object.fromEntries(p.conditions.map((c) => [c.type, `${c.status}/${c.reason}`])),
      }));
    };

    beforeAll(async () => {
      if (assets.type !== 'ok') return;
      env = await Envtest.start(assets);
      const crds = await env.kubectl(['apply', '--server-side', '-f', (crdFolder as { dir: string }).dir]);
      if (crds.code !== 0) throw new Error(crds.stderr);
      for (const crd of ['gatewayclasses', 'gateways', 'httproutes', 'grpcroutes', 'referencegrants'])
        await env.kubectl([
          'wait',
          '--for=condition=Established',
          '--timeout=30s',
          `crd/${crd}.gateway.networking.k8s.io`,
        ]);
      const svc = (name: string, namespace: string) => ({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name, namespace },
        spec: { ports: [{ name: 'http', port: 80 }] },
      });
      const items = [
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'edge' } },
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } },
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'weft-system' } },
        svc('weft-gateway', 'weft-system'),
        svc('web', 'edge'),
        svc('cart', 'shop'),
        svc('orders', 'shop'),
        {
          apiVersion: GW,
          kind: 'GatewayClass',
          metadata: { name: 'weft' },
          spec: { controllerName: 'weft.dev/gateway' },
        },
        {
          apiVersion: GW,
          kind: 'Gateway',
          metadata: { name: 'gw', namespace: 'edge' },
          spec: {
            gatewayClassName: 'weft',
            listeners: [
              { name: 'http', port: 80, protocol: 'HTTP' },
              { name: 'grpc', port: 8080, protocol: 'HTTP' },
            ],
          },
        },
        {
          apiVersion: 'gateway.networking.k8s.io/v1beta1',
          kind: 'ReferenceGrant',
          metadata: { name: 'edge-to-cart', namespace: 'shop' },
          spec: {
            from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'edge' }],
            to: [{ group: '', kind: 'Service', name: 'cart' }],
          },
        },
        {
          apiVersion: GW,
          kind: 'HTTPRoute',
          metadata: { name: 'granted', namespace: 'edge' },
          spec: {
            parentRefs: [{ name: 'gw', sectionName: 'http' }],
            rules: [{ backendRefs: [{ name: 'cart', namespace: 'shop', port: 80 }] }],
          },
        },
        {
          apiVersion: GW,
          kind: 'HTTPRoute',
          metadata: { name: 'not-granted', namespace: 'edge' },
          spec: {
            parentRefs: [{ name: 'gw', sectionName: 'http' }],
            rules: [{ backendRefs: [{ name: 'orders', namespace: 'shop', port: 80 }] }],
          },
        },
        {
          apiVersion: GW,
          kind: 'HTTPRoute',
          metadata: { name: 'outsider', namespace: 'shop' },
          spec: {
            parentRefs: [{ name: 'gw', namespace: 'edge' }],
            rules: [{ backendRefs: [{ name: 'cart', port: 80 }] }],
          },
        },
        {
          apiVersion: GW,
          kind: 'GRPCRoute',
          metadata: { name: 'rpc', namespace: 'edge' },
          spec: {
            parentRefs: [{ name: 'gw', sectionName: 'grpc' }],
            rules: [
              { matches: [{ method: { service: 'shop.Cart' } }], backendRefs: [{ name: 'web', port: 80 }] },
            ],
          },
        },
        // A mesh parent (Service) and a gateway parent: weft.dev/mesh and weft.dev/gateway share status.parents.
        {
          apiVersion: GW,
          kind: 'HTTPRoute',
          metadata: { name: 'both', namespace: 'edge' },
          spec: {
            parentRefs: [
              { group: '', kind: 'Service', name: 'web', port: 80 },
              { name: 'gw', sectionName: 'http' },
            ],
            rules: [{ backendRefs: [{ name: 'web', port: 80 }] }],
          },
        },
        // Created last, on the listener the HTTPRoutes use, with no hostnames: it loses to them.
        {
          apiVersion: GW,
          kind: 'GRPCRoute',
          metadata: { name: 'rpc-clash', namespace: 'edge' },
          spec: {
            parentRefs: [{ name: 'gw', sectionName: 'http' }],
            rules: [{ backendRefs: [{ name: 'web', port: 80 }] }],
          },
        },
      ];
      const setup = await env.kubectl(
        ['apply', '--server-side', '-f', '-'],
        JSON.stringify({ apiVersion: 'v1', kind: 'List', items }),
      );
      if (setup.code !== 0) throw new Error(setup.stderr);
      const kubeConfig = new KubeConfig();
      kubeConfig.loadFromFile(env.kubeconfigPath);
      const metrics = new ControlPlaneMetrics();
      writer = new GatewayStatusWriter({ kubeConfig, metrics, lookup: (ref) => state.get(ref) });
      source = new KubernetesSource({ kubeConfig, metrics });
      const meshWriter = new KubernetesStatusWriter({ kubeConfig, metrics, lookup: (ref) => state.get(ref) });
      await source.start((events) => {
        const change = state.apply(events);
        writer.report(change.gatewayStatuses);
        meshWriter.report(change.conditions);
      });
    }, 180_000);

    afterAll(async () => {
      await source?.close();
      await env?.close();
    });

    it('stores GatewayClass and Gateway status as the CRD schema allows', async () => {
      await expect
        .poll(
          async () =>
            (await get('/apis/gateway.networking.k8s.io/v1/gatewayclasses/weft')).status?.conditions?.[0],
          POLL,
        )
        .toMatchObject({ type: 'Accepted', status: 'True', reason: 'Accepted', observedGeneration: 1 });
      await expect
        .poll(async () => {
          const s = (await get('/apis/gateway.networking.k8s.io/v1/namespaces/edge/gateways/gw')).status;
          return {
            addresses: (s?.addresses ?? []).map((a: { type: string }) => a.type),
            conditions: (s?.conditions ?? []).map((c: Cond) => `${c.type}=${c.status}/${c.reason}`),
            listeners: (s?.listeners ?? []).map(
              (l: {
                name: string;
                attachedRoutes: number;
                supportedKinds: unknown[];
                conditions: Cond[];
              }) => ({
                name: l.name,
                attachedRoutes: l.attachedRoutes,
                kinds: l.supportedKinds.length,
                conditions: l.conditions.map((c) => `${c.type}=${c.status}`),
              }),
            ),
          };
        }, POLL)
        .toEqual({
          // The gateway Service's ClusterIP (no load balancer in envtest).
          addresses: ['IPAddress'],
          conditions: ['Accepted=True/Accepted', 'Programmed=True/Programmed'],
          listeners: [
            {
              name: 'http',
              attachedRoutes: 3,
              kinds: 2,
              conditions: ['Accepted=True', 'ResolvedRefs=True', 'Conflicted=False', 'Programmed=True'],
            },
            {
              name: 'grpc',
              attachedRoutes: 1,
              kinds: 2,
              conditions: ['Accepted=True', 'ResolvedRefs=True', 'Conflicted=False', 'Programmed=True'],
            },
          ],
        });
    });

    it('stores route parents with the spec reasons, ReferenceGrant honoured', async () => {
      const ours = (p: { controllerName: string; conditions: Record<string, string> }[]) =>
        p.filter((x) => x.controllerName === 'weft.dev/gateway').map((x) => x.conditions);
      await expect
        .poll(async () => ours(await routeParents('httproutes', 'edge', 'granted')), POLL)
        .toEqual([{ Accepted: 'True/Accepted', ResolvedRefs: 'True/ResolvedRefs' }]);
      await expect
        .poll(async () => ours(await routeParents('httproutes', 'edge', 'not-granted')), POLL)
        .toEqual([{ Accepted: 'True/Accepted', ResolvedRefs: 'False/RefNotPermitted' }]);
      await expect
        .poll(async () => ours(await routeParents('httproutes', 'shop', 'outsider')), POLL)
        .toEqual([{ Accepted: 'False/NotAllowedByListeners', ResolvedRefs: 'True/ResolvedRefs' }]);
      await expect
        .poll(async () => ours(await routeParents('grpcroutes', 'edge', 'rpc')), POLL)
        .toEqual([{ Accepted: 'True/Accepted', ResolvedRefs: 'True/ResolvedRefs' }]);
      await expect
        .poll(async () => ours(await routeParents('grpcroutes', 'edge', 'rpc-clash')), POLL)
        .toEqual([{ Accepted: 'False/Conflicted', ResolvedRefs: 'True/ResolvedRefs' }]);
      // Both controllers' parents stay: neither writer replaces the other's.
      await expect
        .poll(
          async () =>
            (await routeParents('httproutes', 'edge', 'both'))
              .map((p) => `${p.controllerName} ${p.conditions.Accepted}`)
              .sort(),
          POLL,
        )
        .toEqual(['weft.dev/gateway True/Accepted', 'weft.dev/mesh True/Accepted']);
    });

    it('updates observedGeneration on a spec change and keeps lastTransitionTime of unchanged conditions', async () => {
      const path = '/apis/gateway.networking.k8s.io/v1/namespaces/edge/httproutes/granted';
      const before = (await get(path)).status.parents.find(
        (p: { controllerName: string }) => p.controllerName === 'weft.dev/gateway',
      );
      const stamp = before.conditions[0].lastTransitionTime;
      const r = await env.kubectl([
        'patch',
        'httproute',
        'granted',
        '-n',
        'edge',
        '--type=merge',
        '-p',
        '{"spec":{"hostnames":["shop.example.com"]}}',
      ]);
      expect(r.code, r.stderr).toBe(0);
      await expect
        .poll(async () => {
          const p = (await get(path)).status.parents.find(
            (x: { controllerName: string }) => x.controllerName === 'weft.dev/gateway',
          );
          return { gen: p.conditions[0].observedGeneration, time: p.conditions[0].lastTransitionTime };
        }, POLL)
        .toEqual({ gen: 2, time: stamp });
    });
  },
);
