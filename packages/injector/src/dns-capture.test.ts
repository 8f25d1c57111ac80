import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { injectPod } from './inject-pod.js';
import { parseInjectorConfig } from './settings.js';

const config = parseInjectorConfig({ injector: { image: 'ghcr.io/weft-mesh/weft:test', version: 'test' } });
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

function inject(podAnnotations: Record<string, string>, nsAnnotations: Record<string, string> = {}) {
  return injectPod(
    pod(podAnnotations),
    { name: 'emojivoto', annotations: { 'weft.dev/inject': 'enabled', ...nsAnnotations } },
    config,
  );
}

function initArgs(
  podAnnotations: Record<string, string>,
  nsAnnotations: Record<string, string> = {},
): string[] {
  const result = inject(podAnnotations, nsAnnotations);
  if (result.type !== 'inject') throw new Error(`not injected: ${result.reason.message}`);
  const containers: Obj[] = result.patch.flatMap((op: Obj) =>
    Array.isArray(op.value)
      ? op.value
      : op.value && typeof op.value === 'object' && 'name' in op.value
        ? [op.value]
        : [],
  );
  return containers.find((c) => c.name === 'weft-init')?.args ?? [];
}

describe('weft.dev/dns-capture', () => {
  it('is off unless annotated', () => {
    expect(initArgs({})).not.toContain('--dns-capture');
  });

  it('passes --dns-capture to weft-init from the namespace or the pod, the pod winning', () => {
    expect(initArgs({}, { 'weft.dev/dns-capture': 'enabled' })).toEqual(
      expect.arrayContaining(['--dns-capture', '--dns-port', '15053']),
    );
    expect(initArgs({ 'weft.dev/dns-capture': 'enabled' })).toContain('--dns-capture');
    expect(
      initArgs({ 'weft.dev/dns-capture': 'disabled' }, { 'weft.dev/dns-capture': 'enabled' }),
    ).not.toContain('--dns-capture');
  });

  it('refuses a value other than enabled or disabled, naming the annotation', () => {
    const result = inject({ 'weft.dev/dns-capture': 'yes' });
    expect(result.type).not.toBe('inject');
    expect(JSON.stringify(result)).toContain('weft.dev/dns-capture');
  });
});
