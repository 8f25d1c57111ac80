// Every ```yaml block in docs/: parses the same in YAML 1.1 (kubectl) and 1.2 (weft); every
// TrafficSplit, TrafficPolicy and AuthorizationPolicy in them validates against the CRD schema
// (OpenAPI with unknown fields rejected, and the CEL rules) and parses with weft's zod schema;
// the mesh config sample parses as a mesh config. Some samples must exist, Flagger's among them.
// With a real kube-apiserver (KUBEBUILDER_ASSETS), every sample is also applied to it with
// server-side apply, after crds/ and the upstream Gateway API CRDs (which are not weft's, and
// have no model in kubernetes-models: the API server's own validation is their check).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  authorizationPolicySchema,
  defaultMeshConfig,
  meshConfigSchema,
  parseConfig,
  trafficPolicySchema,
  trafficSplitSchema,
} from '@weft/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { Envtest, envtestAssets, envtestSuiteTitle } from '../support/envtest.js';
import { gatewayApiCrds } from '../support/gateway-api-crds.js';
import { REPO, validateResource } from './crd-validator.js';
import { parseYamlStream } from './fixtures.js';

interface Sample {
  where: string;
  resource: Record<string, any>;
}

/** The ```yaml blocks of a markdown text, with their line numbers. */
function yamlBlocks(markdown: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!/^```ya?ml\s*$/.test(lines[i] as string)) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^```\s*$/.test(lines[end] as string)) end++;
    out.push({ line: start + 1, text: lines.slice(start, end).join('\n') });
    i = end;
  }
  return out;
}

const DOCS = join(REPO, 'docs');
const blocks = readdirSync(DOCS)
  .filter((f) => f.endsWith('.md'))
  .flatMap((f) =>
    yamlBlocks(readFileSync(join(DOCS, f), 'utf8')).map((b) => ({ ...b, where: `docs/${f}:${b.line}` })),
  );

const samples: Sample[] = blocks.flatMap((b) =>
  (parseYamlStream(b.text) as Record<string, any>[]).map((resource) => ({ where: b.where, resource })),
);

const ZOD: Record<string, z.ZodType> = {
  TrafficSplit: trafficSplitSchema,
  TrafficPolicy: trafficPolicySchema,
  AuthorizationPolicy: authorizationPolicySchema,
};
const crdSamples = samples.filter((s) => ZOD[s.resource.kind] !== undefined);
const isGatewayApi = (r: Record<string, any>) =>
  typeof r.apiVersion === 'string' && r.apiVersion.startsWith('gateway.networking.k8s.io/');

describe('docs samples', () => {
  it('extracts the fenced yaml blocks', () => {
    expect(yamlBlocks('x\n```yaml\na: 1\n```\n```sh\nls\n```\n```yaml\nb: 2\n```\n')).toEqual([
      { line: 3, text: 'a: 1' },
      { line: 9, text: 'b: 2' },
    ]);
    expect(blocks.length).toBeGreaterThanOrEqual(15);
  });

  it.each(blocks.map((b) => [b.where, b.text]))('%s reads the same in YAML 1.1 and 1.2', (_where, text) => {
    expect(parseYamlStream(text, '1.1')).toEqual(parseYamlStream(text, '1.2'));
  });

  it.each(crdSamples.map((s) => [`${s.where} ${s.resource.kind} ${s.resource.metadata?.name}`, s]))(
    '%s validates against its CRD and parses with weft',
    (_name, s) => {
      expect(validateResource(s.resource as { apiVersion: string; kind: string })).toEqual([]);
      parseConfig(ZOD[s.resource.kind] as z.ZodType, s.resource, s.where);
    },
  );

  const builtin = samples.filter(
    (s) =>
      ZOD[s.resource.kind] === undefined &&
      typeof s.resource.apiVersion === 'string' &&
      !isGatewayApi(s.resource),
  );
  it.each(builtin.map((s) => [`${s.where} ${s.resource.kind} ${s.resource.metadata?.name}`, s]))(
    '%s validates against the Kubernetes API schema',
    async (_name, s) => {
      const mod = (await import(/* @vite-ignore */ `kubernetes-models/${s.resource.apiVersion}`)) as Record<
        string,
        new (
          data: unknown,
        ) => { validate(): void }
      >;
      const Model = mod[s.resource.kind];
      expect(Model).toBeDefined();
      expect(() =>
        new (Model as new (data: unknown) => { validate(): void })(structuredClone(s.resource)).validate(),
      ).not.toThrow();
    },
  );

  it('shows the gateway with an example of each route type (docs/gateway.md)', () => {
    const gw = samples.filter((s) => s.where.startsWith('docs/gateway.md:')).map((s) => s.resource);
    const routes = gw.filter((r) => r.kind === 'HTTPRoute');
    const filterTypes = new Set(
      routes.flatMap((r) => r.spec.rules.flatMap((x: any) => (x.filters ?? []).map((f: any) => f.type))),
    );
    for (const f of ['RequestRedirect', 'URLRewrite', 'RequestMirror', 'ResponseHeaderModifier'])
      expect(filterTypes, f).toContain(f);
    // A weighted split and a header match.
    expect(
      routes.some((r) =>
        r.spec.rules.some((x: any) => (x.backendRefs ?? []).filter((b: any) => b.weight > 0).length > 1),
      ),
    ).toBe(true);
    expect(
      routes.some((r) =>
        r.spec.rules.some((x: any) => (x.matches ?? []).some((m: any) => m.headers?.length > 0)),
      ),
    ).toBe(true);
    for (const kind of ['Gateway', 'GRPCRoute', 'Ingress', 'ReferenceGrant', 'AuthorizationPolicy'])
      expect(
        gw.map((r) => r.kind),
        kind,
      ).toContain(kind);
    expect(gw.find((r) => r.kind === 'Ingress')?.spec.ingressClassName).toBe('weft');
    expect(gw.find((r) => r.kind === 'Gateway')?.spec.gatewayClassName).toBe('weft');
  });

  it('covers every kind, and TrafficSplit exactly as Flagger writes it', () => {
    const kinds = new Set(crdSamples.map((s) => `${s.resource.apiVersion} ${s.resource.kind}`));
    for (const k of [
      'split.smi-spec.io/v1alpha1 TrafficSplit',
      'split.smi-spec.io/v1alpha2 TrafficSplit',
      'split.smi-spec.io/v1alpha4 TrafficSplit',
      'weft.dev/v1alpha1 TrafficPolicy',
      'weft.dev/v1alpha1 AuthorizationPolicy',
    ]) {
      expect(kinds, k).toContain(k);
    }
    // Flagger v1alpha2: `service`, `backends[{service, weight}]`, the zero weight omitted.
    const flagger = crdSamples.find(
      (s) =>
        s.resource.apiVersion === 'split.smi-spec.io/v1alpha2' &&
        s.resource.metadata?.ownerReferences?.[0]?.kind === 'Canary',
    );
    expect(flagger?.resource.spec.backends).toEqual([
      { service: 'podinfo-canary' },
      { service: 'podinfo-primary', weight: 100 },
    ]);
    // The TrafficPolicy samples keep `on` as a field under YAML 1.1.
    const withRetry = crdSamples.filter((s) => s.resource.kind === 'TrafficPolicy' && s.resource.spec.retry);
    expect(withRetry.length).toBeGreaterThan(0);
    for (const s of withRetry) expect(Object.keys(s.resource.spec.retry)).toContain('on');
  });

  it('shows the mesh config as weft parses it, with its defaults', () => {
    const cms = samples.filter(
      (s) => s.resource.kind === 'ConfigMap' && s.resource.metadata?.name === 'weft-mesh-config',
    );
    expect(cms.length).toBeGreaterThan(0);
    for (const s of cms) {
      const config = parseConfig(
        meshConfigSchema,
        parseDocument(s.resource.data['config.yaml']).toJS(),
        s.where,
      );
      expect(config).toEqual(defaultMeshConfig());
    }
  });

  it('uses only weft.dev annotations the docs reference in annotations.md', () => {
    const documented = new Set(
      [...readFileSync(join(DOCS, 'annotations.md'), 'utf8').matchAll(/`(weft\.dev\/[a-z-]+)`/g)].map(
        (m) => m[1],
      ),
    );
    for (const s of samples) {
      const annotations = {
        ...s.resource.metadata?.annotations,
        ...s.resource.spec?.template?.metadata?.annotations,
      } as Record<string, unknown>;
      for (const [k, v] of Object.entries(annotations)) {
        if (!k.startsWith('weft.dev/')) continue;
        expect(documented, `${s.where} ${k}`).toContain(k);
        expect(typeof v, `${s.where} ${k} must be a string`).toBe('string');
      }
    }
  });
});

const assets = envtestAssets();
const gatewayCrds = gatewayApiCrds();
if (gatewayCrds.type !== 'ok')
  process.stderr.write(`docs samples: Gateway API samples not applied: ${gatewayCrds.reason}\n`);
const applicable = samples.filter(
  (s) =>
    typeof s.resource.apiVersion === 'string' &&
    typeof s.resource.metadata?.name === 'string' &&
    (gatewayCrds.type === 'ok' || !isGatewayApi(s.resource)),
);

describe.skipIf(assets.type !== 'ok')(envtestSuiteTitle('docs samples on a real API server', assets), () => {
  let env: Envtest;
  beforeAll(async () => {
    if (assets.type !== 'ok') return;
    env = await Envtest.start(assets);
    const crds = await env.kubectl(['apply', '--server-side', '-f', join(REPO, 'crds')]);
    if (crds.code !== 0) throw new Error(crds.stderr);
    if (gatewayCrds.type === 'ok') {
      const g = await env.kubectl(['apply', '--server-side', ...gatewayCrds.files.flatMap((f) => ['-f', f])]);
      if (g.code !== 0) throw new Error(g.stderr);
    }
    await env.kubectl(['wait', '--for=condition=Established', '--timeout=30s', 'crd', '--all']);
    const namespaces = new Set(applicable.map((s) => s.resource.metadata.namespace ?? 'default'));
    // No controller-manager runs: create the ServiceAccounts pods run as.
    const accounts = new Set([...namespaces].map((ns) => `${ns}/default`));
    for (const { resource: r } of applicable) {
      const sa = r.spec?.serviceAccountName ?? r.spec?.template?.spec?.serviceAccountName;
      if (typeof sa === 'string') accounts.add(`${r.metadata.namespace ?? 'default'}/${sa}`);
    }
    const r = await env.kubectl(
      ['apply', '--server-side', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [
          ...[...namespaces].map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } })),
          ...[...accounts].map((key) => {
            const [namespace, name] = key.split('/');
            return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } };
          }),
        ],
      }),
    );
    if (r.code !== 0) throw new Error(r.stderr);
  }, 90_000);
  afterAll(async () => {
    await env?.close();
  });

  it('has samples to apply', () => {
    expect(applicable.length).toBeGreaterThanOrEqual(10);
  });

  it.each(applicable.map((s) => [`${s.where} ${s.resource.kind} ${s.resource.metadata.name}`, s]))(
    '%s applies with server-side apply',
    async (_name, s) => {
      // kubectl reads YAML 1.1; the samples read the same in 1.1 and 1.2 (checked above).
      const r = await env.kubectl(['apply', '--server-side', '-f', '-'], JSON.stringify(s.resource));
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    },
  );
});
