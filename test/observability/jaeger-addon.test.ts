/**
 * install/addons/jaeger.yaml: the mesh config it carries is valid, differs from the base mesh
 * config only in `tracing`, and points at the Service and port the Jaeger container listens on.
 */
import { readFileSync } from 'node:fs';
import { meshConfigSchema, parseConfig } from '@weft/api';
import { resolveTracingConfig } from '@weft/proxy';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

const root = new URL('../../', import.meta.url);
const addon = parseAllDocuments(readFileSync(new URL('install/addons/jaeger.yaml', root), 'utf8')).map(
  (d) =>
    d.toJS() as {
      kind: string;
      metadata: { name: string; namespace: string };
      spec?: unknown;
      data?: unknown;
    },
);
const byKind = (kind: string) => {
  const doc = addon.find((d) => d.kind === kind);
  if (!doc) throw new Error(`no ${kind} in jaeger.yaml`);
  return doc;
};

interface Port {
  name: string;
  port?: number;
  containerPort?: number;
  targetPort?: string;
}

describe('install/addons/jaeger.yaml', () => {
  const deployment = byKind('Deployment') as {
    spec: {
      template: {
        metadata: { annotations: Record<string, string> };
        spec: { containers: Array<{ image: string; ports: Port[] }> };
      };
    };
  };
  const service = byKind('Service') as {
    metadata: { name: string; namespace: string };
    spec: { ports: Port[] };
  };
  const configMap = byKind('ConfigMap') as { metadata: { name: string }; data: { 'config.yaml': string } };
  const mesh = parseConfig(
    meshConfigSchema,
    parseAllDocuments(configMap.data['config.yaml'])[0]?.toJS(),
    'jaeger.yaml weft-mesh-config',
  );

  it('runs Jaeger unmeshed with both OTLP ports and the UI', () => {
    const container = deployment.spec.template.spec.containers[0];
    expect(container?.image).toMatch(/jaegertracing\/jaeger:\d+\.\d+\.\d+$/);
    expect(container?.ports.map((p) => [p.name, p.containerPort])).toEqual([
      ['otlp-grpc', 4317],
      ['otlp-http', 4318],
      ['ui', 16686],
    ]);
    expect(deployment.spec.template.metadata.annotations['weft.dev/inject']).toBe('disabled');
    const containerPorts = new Set(container?.ports.map((p) => p.name));
    for (const p of service.spec.ports) expect(containerPorts.has(p.targetPort ?? '')).toBe(true);
  });

  it('points the mesh config at the Service over OTLP/HTTP', () => {
    expect(configMap.metadata.name).toBe('weft-mesh-config');
    const tracing = resolveTracingConfig({ env: {}, mesh: mesh.tracing });
    expect(tracing).toMatchObject({ enabled: true, protocol: 'http/protobuf', source: 'mesh' });
    if (!tracing.enabled) return;
    const url = new URL(tracing.url);
    expect(url.hostname).toBe(`${service.metadata.name}.${service.metadata.namespace}`);
    expect(service.spec.ports.find((p) => p.name === 'otlp-http')?.port).toBe(Number(url.port));
    expect(url.pathname).toBe('/v1/traces');
  });

  it('leaves every other mesh setting as the base install has it', () => {
    const baseMap = parseAllDocuments(readFileSync(new URL('install/base/mesh-config.yaml', root), 'utf8'))
      .map((d) => d.toJS() as { kind?: string; data?: { 'config.yaml'?: string } })
      .find((d) => d.kind === 'ConfigMap');
    const baseYaml = baseMap?.data?.['config.yaml'];
    expect(baseYaml).toBeDefined();
    const base = parseConfig(
      meshConfigSchema,
      parseAllDocuments(baseYaml ?? '')[0]?.toJS(),
      'install/base/mesh-config.yaml',
    );
    const { tracing: _a, ...rest } = mesh;
    const { tracing: _b, ...baseRest } = base;
    expect(rest).toEqual(baseRest);
  });
});
