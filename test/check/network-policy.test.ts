// `weft check` finds NetworkPolicies that break the mesh, against the fake API server holding a
// healthy installation, meshed pods and AuthorizationPolicies: one policy at a time, each named
// in the hint of the check it breaks; policies that only refuse what the mesh refuses pass.

import { type CheckResult, checkCluster, loadInstallLayout } from '@weft/cli/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeCluster, MANIFESTS } from './fake-cluster.js';

const layout = loadInstallLayout(MANIFESTS);
const NAMES = {
  mesh: 'NetworkPolicies let meshed pods reach each other on the proxy port (7143)',
  cp: 'NetworkPolicies let proxies reach the control plane (7443)',
  webhook: 'NetworkPolicies let the API server reach the injector webhook (8443)',
  dns: 'NetworkPolicies let meshed pods resolve DNS (53, UDP and TCP)',
};
let cluster: FakeCluster;

function pod(namespace: string, name: string, app: string, sa: string, meshed = true) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace,
      labels: { app, ...(meshed ? { 'weft.dev/service-account': sa } : {}) },
      ...(meshed ? { annotations: { 'weft.dev/injected-version': '0.1.0' } } : {}),
    },
    spec: {
      serviceAccountName: sa,
      containers: [{ name: app, image: 'app:1', ports: [{ containerPort: 8080 }] }],
    },
    status: { phase: 'Running', podIP: '10.0.0.1' },
  };
}

function netpol(namespace: string, name: string, spec: Record<string, unknown>) {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace }, spec };
}

beforeEach(async () => {
  cluster = new FakeCluster();
  await cluster.start();
  cluster.install();
  cluster.api.serve('weft.dev', 'v1alpha1', 'authorizationpolicies', 'AuthorizationPolicy');
  for (const n of ['shop', 'kube-system'])
    cluster.api.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: n } });
  cluster.api.apply(pod('shop', 'web-1', 'web', 'web'));
  cluster.api.apply(pod('shop', 'api-1', 'api', 'api'));
  cluster.api.apply(pod('shop', 'db-1', 'db', 'db'));
  cluster.api.apply({
    ...pod('weft-system', 'weft-control-plane-0', 'cp', 'weft-control-plane', false),
    metadata: {
      name: 'weft-control-plane-0',
      namespace: 'weft-system',
      labels: { 'app.kubernetes.io/part-of': 'weft', 'app.kubernetes.io/component': 'control-plane' },
    },
  });
  cluster.api.apply({
    ...pod('weft-system', 'weft-injector-0', 'inj', 'weft-injector', false),
    metadata: {
      name: 'weft-injector-0',
      namespace: 'weft-system',
      labels: { 'app.kubernetes.io/part-of': 'weft', 'app.kubernetes.io/component': 'injector' },
    },
  });
  cluster.api.apply({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'db', namespace: 'shop' },
    spec: { selector: { app: 'db' }, ports: [{ port: 5432, targetPort: 8080 }] },
  });
  // The mesh lets only api call db.
  cluster.api.apply({
    apiVersion: 'weft.dev/v1alpha1',
    kind: 'AuthorizationPolicy',
    metadata: { name: 'db-from-api', namespace: 'shop' },
    spec: {
      targetRef: { kind: 'Service', name: 'db' },
      from: [{ identities: ['spiffe://cluster.local/ns/shop/sa/api'] }],
    },
  });
});
afterEach(async () => {
  await cluster.close();
});

async function results(): Promise<Record<string, CheckResult>> {
  const all = await checkCluster({
    kubeConfig: cluster.api.kubeConfig(),
    layout,
    pre: false,
    timeoutMs: 5000,
  });
  return Object.fromEntries(all.filter((r) => r.name.startsWith('NetworkPolicies')).map((r) => [r.name, r]));
}

const hint = (r: CheckResult | undefined) => (r === undefined || r.status === 'ok' ? '' : r.hint);

describe('weft check: NetworkPolicies that break the mesh', () => {
  it('passes with no NetworkPolicy, and with one that refuses only what the mesh refuses', async () => {
    let r = await results();
    expect(Object.values(r).map((x) => x.status)).toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(r[NAMES.mesh]?.status === 'ok' && r[NAMES.mesh]?.detail).toBe(
      '5 allowed pairs of workloads checked',
    );
    // Of the six ordered pairs the mesh refuses web -> db. db admits only api on 7143: still fine.
    cluster.api.apply(
      netpol('shop', 'db-only-api', {
        podSelector: { matchLabels: { app: 'db' } },
        ingress: [
          {
            from: [{ podSelector: { matchLabels: { 'weft.dev/service-account': 'api' } } }],
            ports: [{ port: 7143 }],
          },
        ],
      }),
    );
    r = await results();
    expect(r[NAMES.mesh]?.status).toBe('ok');
  });

  it('fails a policy blocking 7143 between meshed pods the mesh allows, naming it', async () => {
    cluster.api.apply(
      netpol('shop', 'api-http-only', {
        podSelector: { matchLabels: { app: 'api' } },
        ingress: [{ ports: [{ port: 8080 }] }],
      }),
    );
    const r = (await results())[NAMES.mesh];
    expect(r?.status).toBe('fail');
    expect(hint(r)).toContain(
      'shop/web-1 -> shop/api-1:7143: refused by the ingress NetworkPolicies shop/api-http-only',
    );
    expect(hint(r)).toContain('weft netpol generate');
  });

  it("fails a policy blocking the control plane's 7443", async () => {
    cluster.api.apply(netpol('weft-system', 'lockdown', { podSelector: {}, policyTypes: ['Ingress'] }));
    const r = await results();
    expect(r[NAMES.cp]?.status).toBe('fail');
    expect(hint(r[NAMES.cp])).toContain('refused by the ingress NetworkPolicies weft-system/lockdown');
    // The same policy isolates the injector from the API server.
    expect(r[NAMES.webhook]?.status).toBe('fail');
    expect(hint(r[NAMES.webhook])).toContain(
      'API server -> weft-system/weft-injector-0:8443: refused by the ingress NetworkPolicies weft-system/lockdown',
    );
  });

  it('fails a webhook policy that admits 8443 from pods only (the API server is not a pod)', async () => {
    cluster.api.apply(
      netpol('weft-system', 'webhook-from-pods', {
        podSelector: { matchLabels: { 'app.kubernetes.io/component': 'injector' } },
        ingress: [{ from: [{ namespaceSelector: {} }], ports: [{ port: 8443 }] }],
      }),
    );
    const r = await results();
    expect(r[NAMES.webhook]?.status).toBe('fail');
    expect(hint(r[NAMES.webhook])).toContain('weft-system/webhook-from-pods');
    expect(r[NAMES.cp]?.status).toBe('ok');
  });

  it('fails an egress policy that allows DNS over UDP only', async () => {
    cluster.api.apply(
      netpol('shop', 'egress-udp-dns', {
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [{ ports: [{ protocol: 'UDP', port: 53 }] }, { ports: [{ port: 7143 }, { port: 7443 }] }],
      }),
    );
    const r = await results();
    expect(r[NAMES.dns]?.status).toBe('fail');
    expect(hint(r[NAMES.dns])).toContain(
      'shop/api-1 -> kube-system DNS 53/TCP: refused by the egress NetworkPolicies shop/egress-udp-dns',
    );
    expect(hint(r[NAMES.dns])).not.toContain('53/UDP');
    expect(r[NAMES.mesh]?.status).toBe('ok');
    expect(r[NAMES.cp]?.status).toBe('ok');
  });
});
