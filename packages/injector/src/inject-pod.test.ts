import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import jsonPatch from 'fast-json-patch';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { CronJob, Job } from 'kubernetes-models/batch/v1';
import { Pod } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { injectPod } from './inject-pod.js';
import { parseInjectorConfig } from './settings.js';

const FIXTURES = new URL('../../../test/fixtures/injector/', import.meta.url);
const UPDATE = process.env.UPDATE_GOLDEN === '1';
const trustAnchorsPem = readFileSync(new URL('trust-anchors.pem', FIXTURES), 'utf8');
const native = parseInjectorConfig({
  injector: { image: 'ghcr.io/weft-mesh/weft:test', version: 'test', trustAnchorsPem },
});
const fallback = parseInjectorConfig({
  injector: { image: 'ghcr.io/weft-mesh/weft:test', version: 'test', nativeSidecar: false },
});
const enabledNs = (name: string) => ({ name, annotations: { 'weft.dev/inject': 'enabled' } });

type Obj = Record<string, any>;
const TEMPLATE: Record<string, (o: Obj) => Obj> = {
  Pod: (o) => o,
  Deployment: (o) => o.spec.template,
  StatefulSet: (o) => o.spec.template,
  Job: (o) => o.spec.template,
  CronJob: (o) => o.spec.jobTemplate.spec.template,
};
const MODEL: Record<string, (o: Obj) => { validate(): void }> = {
  Pod: (o) => new Pod(o as any),
  Deployment: (o) => new Deployment(o as any),
  StatefulSet: (o) => new StatefulSet(o as any),
  Job: (o) => new Job(o as any),
  CronJob: (o) => new CronJob(o as any),
};

function load(file: string): Obj {
  const [doc] = parseAllDocuments(readFileSync(new URL(file, FIXTURES), 'utf8'));
  return doc!.toJS() as Obj;
}

function golden(name: string, value: unknown): void {
  const url = new URL(name, FIXTURES);
  const text = `${JSON.stringify(value, null, 2)}\n`;
  if (UPDATE) writeFileSync(url, text);
  expect(text).toBe(readFileSync(url, 'utf8'));
}

const fixtures = readdirSync(FIXTURES).filter((f) => f.endsWith('.yaml'));

describe.each([
  ['native', native, ''],
  ['fallback', fallback, '.fallback'],
] as const)('injectPod golden patches (%s sidecar)', (_mode, config, suffix) => {
  it.each(fixtures)('%s', (file) => {
    const object = load(file);
    const kind = object.kind as string;
    const template = TEMPLATE[kind]!(object);
    const ns = object.metadata.namespace as string;
    const before = structuredClone(template);
    const result = injectPod(template, enabledNs(ns), config);
    expect(template).toEqual(before); // the input is not mutated
    if (result.type !== 'inject') throw new Error(`not injected: ${result.reason.message}`);
    golden(file.replace(/\.yaml$/, `${suffix}.patch.json`), result.patch);

    // The patch applies with a JSON Patch library (operations validated) ...
    const patched = structuredClone(object);
    jsonPatch.applyPatch(TEMPLATE[kind]!(patched), structuredClone([...result.patch]) as any, true, true);
    // ... and the result is a valid Kubernetes object, its pod a valid Pod.
    MODEL[kind]!(patched).validate();
    const pod = TEMPLATE[kind]!(patched);
    new Pod({ apiVersion: 'v1', kind: 'Pod', metadata: pod.metadata ?? {}, spec: pod.spec }).validate();

    // The app containers are untouched; the sidecar sits where it should.
    const spec = pod.spec;
    const inits = spec.initContainers.map((c: Obj) => c.name);
    if (config.injector.nativeSidecar) {
      expect(spec.containers).toEqual(before.spec.containers);
      expect(inits.slice(0, 2)).toEqual(['weft-init', 'weft-proxy']);
      expect(spec.initContainers[1].restartPolicy).toBe('Always');
      expect(spec.initContainers[1].startupProbe.httpGet).toEqual({ path: '/ready', port: 7191 });
    } else {
      expect(spec.containers.slice(1)).toEqual(before.spec.containers);
      expect(spec.containers[0].name).toBe('weft-proxy');
      expect(spec.containers[0].restartPolicy).toBeUndefined();
      expect(inits.at(-1)).toBe('weft-init');
    }
    // Probes hit the pod IP's admin port, where only /live, /ready and /metrics are served; the
    // full admin surface (/config, /shutdown) stays on loopback.
    const proxy = [...spec.initContainers, ...spec.containers].find((c: Obj) => c.name === 'weft-proxy');
    expect(proxy.livenessProbe.httpGet).toEqual({ path: '/live', port: 7191 });
    expect(proxy.readinessProbe.httpGet).toEqual({ path: '/ready', port: 7191 });
    expect(proxy.env).toEqual(
      expect.arrayContaining([
        { name: 'WEFT_ADMIN_HOST', value: '127.0.0.1' },
        { name: 'WEFT_ADMIN_PROBE_HOST', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      ]),
    );
    const appInits = config.injector.nativeSidecar
      ? spec.initContainers.slice(2)
      : spec.initContainers.slice(0, -1);
    expect(appInits).toEqual(before.spec.initContainers ?? []);
    expect(spec.volumes.slice(0, before.spec.volumes?.length ?? 0)).toEqual(before.spec.volumes ?? []);
    expect(pod.metadata.annotations).toMatchObject({
      ...(before.metadata?.annotations ?? {}),
      'weft.dev/injected-version': 'test',
    });

    // The trust anchors travel in an annotation, mounted into the proxy by the downward API.
    const anchors = spec.volumes.find((v: Obj) => v.name === 'weft-trust-anchors');
    if (config.injector.trustAnchorsPem === undefined) {
      expect(anchors).toBeUndefined();
      expect(proxy.env.map((e: Obj) => e.name)).not.toContain('WEFT_CA_FILE');
    } else {
      expect(pod.metadata.annotations['weft.dev/trust-anchors']).toBe(trustAnchorsPem);
      expect(anchors.downwardAPI.items[0].fieldRef.fieldPath).toBe(
        "metadata.annotations['weft.dev/trust-anchors']",
      );
      expect(proxy.env).toContainEqual({ name: 'WEFT_CA_FILE', value: '/var/run/weft/trust-anchors/ca.crt' });
    }
    expect(spec.volumes.find((v: Obj) => v.name === 'weft-identity-token').projected.sources[0]).toEqual({
      serviceAccountToken: { audience: 'weft', expirationSeconds: 3600, path: 'weft-token' },
    });

    // Idempotent: the injected pod is not injected again.
    const again = injectPod(pod, enabledNs(ns), config);
    expect(again).toMatchObject({ type: 'skip', reason: { code: 'already-injected' } });
  });
});

describe('the ServiceAccount label (selected by generated NetworkPolicies)', () => {
  const pod = (metadata: Obj, serviceAccountName?: string): Obj => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata,
    spec: {
      ...(serviceAccountName === undefined ? {} : { serviceAccountName }),
      containers: [{ name: 'app' }],
    },
  });
  const labelsAfter = (p: Obj): Obj => {
    const r = injectPod(p, enabledNs('shop'), native);
    if (r.type !== 'inject') throw new Error(r.reason.message);
    return jsonPatch.applyPatch(structuredClone(p), r.patch as any).newDocument.metadata.labels ?? {};
  };

  it('carries the pod ServiceAccount, replacing a label the pod brought', () => {
    expect(labelsAfter(pod({ name: 'a', labels: { app: 'web' } }, 'web'))).toEqual({
      app: 'web',
      'weft.dev/service-account': 'web',
    });
    expect(labelsAfter(pod({ name: 'a', labels: { 'weft.dev/service-account': 'admin' } }, 'web'))).toEqual({
      'weft.dev/service-account': 'web',
    });
    expect(labelsAfter(pod({ name: 'a' }))).toEqual({ 'weft.dev/service-account': 'default' });
  });

  it('is left out when the name cannot be a label value', () => {
    expect(labelsAfter(pod({ name: 'a', labels: { app: 'x' } }, `sa-${'x'.repeat(70)}`))).toEqual({
      app: 'x',
    });
  });
});
