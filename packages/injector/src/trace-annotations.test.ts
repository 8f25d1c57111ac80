import { readFileSync } from 'node:fs';
import { defaultMeshConfig } from '@weft/api';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { injectPod } from './inject-pod.js';
import { resolveProxyOptions } from './proxy-options.js';
import { parseInjectorConfig } from './settings.js';

const config = parseInjectorConfig({ injector: { image: 'ghcr.io/weft-mesh/weft:test', version: 'test' } });
const defaults = { mesh: defaultMeshConfig(), cpu: '100m', memory: '128Mi' };
type Obj = Record<string, any>;

function pod(annotations: Record<string, string>): Obj {
  const [doc] = parseAllDocuments(
    readFileSync(new URL('../../../test/fixtures/injector/emojivoto-web.yaml', import.meta.url), 'utf8'),
  );
  const object = doc!.toJS() as Obj;
  const template = object.kind === 'Pod' ? object : object.spec.template;
  template.metadata = {
    ...template.metadata,
    annotations: { ...template.metadata?.annotations, ...annotations },
  };
  return template;
}

function proxyEnv(template: Obj, nsAnnotations: Record<string, string> = {}): Record<string, string> {
  const result = injectPod(
    template,
    { name: 'emojivoto', annotations: { 'weft.dev/inject': 'enabled', ...nsAnnotations } },
    config,
  );
  if (result.type !== 'inject') throw new Error(`not injected: ${result.reason.message}`);
  const containers: Obj[] = result.patch.flatMap((op: Obj) =>
    Array.isArray(op.value)
      ? op.value
      : op.value && typeof op.value === 'object' && 'name' in op.value
        ? [op.value]
        : [],
  );
  const proxy = containers.find((c) => c.name === 'weft-proxy');
  return Object.fromEntries(
    (proxy?.env ?? []).filter((e: Obj) => 'value' in e).map((e: Obj) => [e.name, e.value]),
  );
}

describe('tracing annotations', () => {
  it('override the mesh tracing config through WEFT_OTLP* on the proxy, the pod winning over its namespace', () => {
    const env = proxyEnv(
      pod({
        'weft.dev/trace-endpoint': 'http://tempo.observability:4317',
        'weft.dev/trace-protocol': 'grpc',
      }),
      { 'weft.dev/trace-sampling': '0.5', 'weft.dev/trace-protocol': 'http/protobuf' },
    );
    expect(env).toMatchObject({
      WEFT_OTLP: 'http://tempo.observability:4317',
      WEFT_OTLP_PROTOCOL: 'grpc',
      WEFT_TRACE_SAMPLING: '0.5',
    });
  });

  it('set nothing when absent, so the pushed mesh config applies', () => {
    const env = proxyEnv(pod({}));
    expect(Object.keys(env).filter((k) => k.startsWith('WEFT_OTLP') || k === 'WEFT_TRACE_SAMPLING')).toEqual(
      [],
    );
  });

  it('name the annotation of a malformed value', () => {
    const cases: Array<[string, string, RegExp]> = [
      ['weft.dev/trace-sampling', '1.5', /not a sampling ratio from 0 to 1/],
      ['weft.dev/trace-sampling', 'all', /not a sampling ratio/],
      ['weft.dev/trace-protocol', 'thrift', /not grpc or http\/protobuf/],
      ['weft.dev/trace-endpoint', 'http://has space:4318', /not an OTLP endpoint/],
    ];
    for (const [annotation, value, message] of cases) {
      const r = resolveProxyOptions({ [annotation]: value }, {}, defaults);
      expect(r.type).toBe('invalid');
      if (r.type === 'invalid') {
        expect(r.annotation).toBe(annotation);
        expect(r.message).toMatch(message);
      }
    }
  });
});
