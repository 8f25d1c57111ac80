/**
 * install/addons/jaeger.yaml through `weft install --jaeger`: Jaeger runs unmeshed with both
 * OTLP ports, and the rendered mesh config sends traces to its Service over OTLP/HTTP.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { meshConfigSchema, parseConfig } from '@weft/api';
import { type IdentityIssuer, type KubeObject, objectKey, renderInstall } from '@weft/cli/testing';
import { resolveTracingConfig } from '@weft/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, parseDocument } from 'yaml';
import { INSTALL_DIR, opensslIdentityDir, runInjectorCertScript } from '../install/fixtures.js';

const noIssuer: IdentityIssuer = {
  createCa: () => {
    throw new Error('unexpected: the identity folder is complete');
  },
  check: () => ({ issuerNotAfter: Date.now() + 10 * 365 * 86_400_000 }),
  issueServing: () => {
    throw new Error('unexpected: the identity folder is complete');
  },
};

interface Port {
  name: string;
  port?: number;
  containerPort?: number;
  targetPort?: string;
}

let identity: { dir: string; cleanup: () => void };
let rendered: KubeObject[];
beforeAll(() => {
  identity = opensslIdentityDir();
  runInjectorCertScript(identity.dir);
  rendered = renderInstall(
    { manifestsDir: INSTALL_DIR, ha: false, jaeger: true, identityDir: identity.dir },
    noIssuer,
  );
});
afterAll(() => identity.cleanup());

const addon = parseAllDocuments(readFileSync(join(INSTALL_DIR, 'addons', 'jaeger.yaml'), 'utf8')).map(
  (d) => d.toJS() as KubeObject & { spec: Record<string, any> },
);

describe('install/addons/jaeger.yaml', () => {
  it('runs Jaeger unmeshed with both OTLP ports and the UI, behind a Service', () => {
    expect(addon.map((o) => o.kind)).toEqual(['Deployment', 'Service', 'ConfigMap']);
    const deployment = addon[0] as Record<string, any>;
    const container = deployment.spec.template.spec.containers[0] as { image: string; ports: Port[] };
    expect(container.image).toMatch(/jaegertracing\/jaeger:\d+\.\d+\.\d+$/);
    expect(container.ports.map((p) => [p.name, p.containerPort])).toEqual([
      ['otlp-grpc', 4317],
      ['otlp-http', 4318],
      ['ui', 16686],
    ]);
    expect(deployment.spec.template.metadata.annotations['weft.dev/inject']).toBe('disabled');
    const service = addon[1] as Record<string, any>;
    const names = new Set(container.ports.map((p) => p.name));
    for (const p of service.spec.ports as Port[]) expect(names.has(p.targetPort ?? '')).toBe(true);
  });

  it('carries, for kubectl apply, a mesh config that only changes tracing, pointing at the Service', () => {
    const own = addon[2] as KubeObject & { data: Record<string, string> };
    expect(own.metadata.name).toBe('weft-mesh-config');
    const mesh = parseConfig(
      meshConfigSchema,
      parseDocument(own.data['config.yaml'] ?? '').toJS(),
      'addon mesh config',
    );
    const base = rendered.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'weft-mesh-config') as
      | (KubeObject & { data: Record<string, string> })
      | undefined;
    const installed = parseConfig(
      meshConfigSchema,
      parseDocument(base?.data['config.yaml'] ?? '').toJS(),
      'installed mesh config',
    );
    const { tracing: _a, ...rest } = mesh;
    const { tracing: _b, ...installedRest } = installed;
    expect(rest).toEqual(installedRest);
    const tracing = resolveTracingConfig({ env: {}, mesh: mesh.tracing });
    expect(tracing.enabled && new URL(tracing.url).hostname).toMatch(/^jaeger\.weft-system(\.svc)?$/);
  });

  it('is added by weft install --jaeger, which points the mesh config at its OTLP/HTTP port', () => {
    const keys = rendered.map(objectKey);
    expect(new Set(keys).size).toBe(keys.length);
    expect(rendered.some((o) => o.kind === 'Deployment' && o.metadata.name === 'jaeger')).toBe(true);
    const cm = rendered.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'weft-mesh-config') as
      | (KubeObject & { data: Record<string, string> })
      | undefined;
    const mesh = parseConfig(
      meshConfigSchema,
      parseDocument(cm?.data['config.yaml'] ?? '').toJS(),
      'mesh config',
    );
    const tracing = resolveTracingConfig({ env: {}, mesh: mesh.tracing });
    expect(tracing).toMatchObject({ enabled: true, protocol: 'http/protobuf', source: 'mesh' });
    if (!tracing.enabled) return;
    const url = new URL(tracing.url);
    expect(url.hostname).toBe('jaeger.weft-system.svc');
    expect(url.port).toBe('4318');
    expect(url.pathname).toBe('/v1/traces');
  });
});
