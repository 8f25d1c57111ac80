import { describe, expect, it } from 'vitest';
import { injectPod } from './inject-pod.js';
import { parseInjectorConfig } from './settings.js';

const config = parseInjectorConfig({ injector: { meshNamespace: 'weft-system' } });
const enabled = { 'weft.dev/inject': 'enabled' };

function pod(extra: { annotations?: Record<string, string>; spec?: Record<string, unknown> } = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', ...(extra.annotations ? { annotations: extra.annotations } : {}) },
    spec: { containers: [{ name: 'app', image: 'app:1', ports: [{ containerPort: 8080 }] }], ...extra.spec },
  };
}

describe('when to inject', () => {
  it('injects when the namespace is annotated enabled', () => {
    const r = injectPod(pod(), { name: 'shop', annotations: enabled }, config);
    expect(r).toMatchObject({ type: 'inject', reason: { code: 'namespace-enabled' } });
  });

  it('injects when the pod is annotated enabled, even if its namespace is disabled', () => {
    const r = injectPod(
      pod({ annotations: enabled }),
      { name: 'shop', annotations: { 'weft.dev/inject': 'disabled' } },
      config,
    );
    expect(r).toMatchObject({ type: 'inject', reason: { code: 'pod-enabled' } });
  });

  it('injects on request (offline) without annotations', () => {
    const r = injectPod(pod(), { name: 'shop', annotations: {} }, config, { requested: true });
    expect(r).toMatchObject({ type: 'inject', reason: { code: 'requested' } });
  });

  const cases: [string, unknown, { name: string; annotations: Record<string, string> }, string, boolean][] = [
    [
      'a pod annotated disabled',
      pod({ annotations: { 'weft.dev/inject': 'disabled' } }),
      { name: 'shop', annotations: enabled },
      'pod-disabled',
      false,
    ],
    [
      'kube-system',
      pod({ annotations: enabled }),
      { name: 'kube-system', annotations: enabled },
      'system-namespace',
      true,
    ],
    ['kube-public', pod(), { name: 'kube-public', annotations: enabled }, 'system-namespace', true],
    [
      'the mesh namespace',
      pod({ annotations: enabled }),
      { name: 'weft-system', annotations: {} },
      'system-namespace',
      true,
    ],
    [
      'a hostNetwork pod',
      pod({ spec: { hostNetwork: true } }),
      { name: 'shop', annotations: enabled },
      'host-network',
      true,
    ],
    ['no annotation anywhere', pod(), { name: 'shop', annotations: {} }, 'not-enabled', false],
    ['an unknown namespace', pod(), { name: 'shop', annotations: {} }, 'not-enabled', false],
    [
      'a namespace annotated "true"',
      pod(),
      { name: 'shop', annotations: { 'weft.dev/inject': 'true' } },
      'invalid-annotation',
      true,
    ],
    [
      'a bad inject value',
      pod({ annotations: { 'weft.dev/inject': 'yes' } }),
      { name: 'shop', annotations: {} },
      'invalid-annotation',
      true,
    ],
    [
      'a bad port list',
      pod({ annotations: { 'weft.dev/skip-inbound-ports': '22,http' } }),
      { name: 'shop', annotations: enabled },
      'invalid-annotation',
      true,
    ],
    [
      'a bad namespace quantity',
      pod(),
      { name: 'shop', annotations: { ...enabled, 'weft.dev/proxy-memory': 'lots' } },
      'invalid-annotation',
      true,
    ],
    [
      'a bad CIDR',
      pod({ annotations: { 'weft.dev/skip-outbound-cidrs': '10.0.0.0/33' } }),
      { name: 'shop', annotations: enabled },
      'invalid-annotation',
      true,
    ],
    [
      'a bad inbound policy',
      pod({ annotations: { 'weft.dev/inbound-policy': 'open' } }),
      { name: 'shop', annotations: enabled },
      'invalid-annotation',
      true,
    ],
    [
      'an app on a weft port',
      pod({ spec: { containers: [{ name: 'a', ports: [{ containerPort: 7143 }] }] } }),
      { name: 'shop', annotations: enabled },
      'port-conflict',
      true,
    ],
    [
      'something that is not a pod',
      { kind: 'Pod', spec: { containers: 'nope' } },
      { name: 'shop', annotations: enabled },
      'invalid-pod',
      false,
    ],
    [
      'a pod without containers',
      { kind: 'Pod', spec: { containers: [] } },
      { name: 'shop', annotations: enabled },
      'invalid-pod',
      false,
    ],
    [
      'a pod with a weft-proxy container',
      pod({ spec: { initContainers: [{ name: 'weft-proxy' }] } }),
      { name: 'shop', annotations: enabled },
      'already-injected',
      false,
    ],
  ];

  it.each(cases)('does not inject %s', (_what, input, ns, code, optedIn) => {
    const r = injectPod(input, ns, config);
    expect(r.type).toBe('skip');
    if (r.type !== 'skip') return;
    expect(r.reason.code).toBe(code);
    expect(r.reason.message.length).toBeGreaterThan(10);
    expect(r.optedIn).toBe(optedIn);
  });

  it('expands opaque port ranges for the proxy, within a limit', () => {
    const ok = injectPod(
      pod({ annotations: { 'weft.dev/opaque-ports': '5432, 9000-9002' } }),
      { name: 'shop', annotations: enabled },
      config,
    );
    if (ok.type !== 'inject') throw new Error('expected inject');
    const proxy = (ok.patch[0]!.value as Record<string, any>[])[1]!;
    expect(proxy.env).toContainEqual({ name: 'WEFT_OPAQUE_PORTS', value: '5432,9000,9001,9002' });
    // The sidecar's V8 flags, chosen by measurement (test/e2e/idle-connections-rss.test.ts).
    expect(proxy.env).toContainEqual({ name: 'NODE_OPTIONS', value: '--max-semi-space-size=2' });
    const tooMany = injectPod(
      pod({ annotations: { 'weft.dev/opaque-ports': '1-2000' } }),
      { name: 'shop', annotations: enabled },
      config,
    );
    expect(tooMany).toMatchObject({ type: 'skip', reason: { code: 'invalid-annotation' } });
  });

  it('lets apps use ports of other weft components (8443, 7443), only the proxy ports conflict', () => {
    const https = pod({
      spec: { containers: [{ name: 'a', ports: [{ containerPort: 8443 }, { containerPort: 7443 }] }] },
    });
    expect(injectPod(https, { name: 'shop', annotations: enabled }, config).type).toBe('inject');
    const admin = pod({ spec: { containers: [{ name: 'a', ports: [{ containerPort: 7191 }] }] } });
    expect(injectPod(admin, { name: 'shop', annotations: enabled }, config)).toMatchObject({
      reason: { code: 'port-conflict' },
    });
  });

  it('names the bad annotation and value in the reason', () => {
    const r = injectPod(
      pod({ annotations: { 'weft.dev/opaque-ports': '0' } }),
      { name: 'shop', annotations: enabled },
      config,
    );
    expect(r).toMatchObject({ type: 'skip', reason: { code: 'invalid-annotation' } });
    if (r.type === 'skip') expect(r.reason.message).toContain('weft.dev/opaque-ports: "0"');
  });

  it('lets pod annotations override namespace annotations and mesh defaults', () => {
    const r = injectPod(
      pod({ annotations: { 'weft.dev/proxy-cpu': '300m' } }),
      {
        name: 'shop',
        annotations: { ...enabled, 'weft.dev/proxy-cpu': '200m', 'weft.dev/inbound-policy': 'deny' },
      },
      config,
    );
    if (r.type !== 'inject') throw new Error('expected inject');
    const proxy = (r.patch[0]!.value as Record<string, any>[])[1]!;
    expect(proxy.resources.requests.cpu).toBe('300m');
    expect(proxy.env).toContainEqual({ name: 'WEFT_INBOUND_POLICY', value: 'deny' });
    expect(proxy.env).toContainEqual({
      name: 'WEFT_OPAQUE_PORTS',
      value: '25,587,3306,4444,5432,6379,9300,11211',
    });
    expect(proxy.env).toContainEqual({ name: 'WEFT_INBOUND', value: '8080' });
  });

  it('treats null metadata, annotations and arrays as absent', () => {
    const r = injectPod(
      {
        metadata: { name: 'p', annotations: null },
        spec: { containers: [{ name: 'a' }], volumes: null, initContainers: null },
      },
      { name: 'shop', annotations: enabled },
      config,
    );
    if (r.type !== 'inject') throw new Error('expected inject');
    expect(r.patch.map((op) => op.path)).toEqual([
      '/spec/initContainers',
      '/spec/volumes',
      '/metadata/annotations',
      '/metadata/labels',
    ]);
  });

  it('adds metadata when the pod has none', () => {
    const r = injectPod(
      { spec: { containers: [{ name: 'a' }] } },
      { name: 'shop', annotations: enabled },
      config,
    );
    if (r.type !== 'inject') throw new Error('expected inject');
    expect(r.patch.at(-1)).toMatchObject({ op: 'add', path: '/metadata' });
  });
});
