import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KustomizeError, kustomizeBase64, renderKustomization } from './kustomize.js';
import { getField, setField, sortForApply, splitFieldPath } from './objects.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'weft-kustomize-unit-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function write(path: string, text: string): void {
  mkdirSync(join(dir, path, '..'), { recursive: true });
  writeFileSync(join(dir, path), text);
}

describe('field paths', () => {
  it('split on dots, honor \\. and [key=value]', () => {
    expect(splitFieldPath('data.ca\\.crt')).toEqual(['data', 'ca.crt']);
    expect(splitFieldPath('webhooks.[name=inject.weft.dev].clientConfig.caBundle')).toEqual([
      'webhooks',
      '[name=inject.weft.dev]',
      'clientConfig',
      'caBundle',
    ]);
  });

  it('get and set through list selectors and indexes', () => {
    const o = { webhooks: [{ name: 'a' }, { name: 'b', clientConfig: {} }] };
    setField(o, 'webhooks.[name=b].clientConfig.caBundle', 'X');
    expect(getField(o, 'webhooks.1.clientConfig.caBundle')).toBe('X');
    expect(getField(o, 'webhooks.[name=zzz].clientConfig')).toBeUndefined();
    expect(() => setField(o, 'webhooks.[name=zzz].clientConfig.caBundle', 'X')).toThrow(
      'does not lead to a mapping',
    );
  });
});

describe('renderKustomization', () => {
  it('reads a folder whose kustomization is named Kustomization, as crds/ does', () => {
    write('crds/Kustomization', 'resources: [a.yaml]\n');
    write('crds/a.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: n}\n');
    write('kustomization.yaml', 'resources: [crds]\n');
    expect(renderKustomization(dir).map((o) => o.metadata?.name)).toEqual(['a']);
    rmSync(join(dir, 'crds', 'Kustomization'));
    expect(() => renderKustomization(dir)).toThrow(
      'no kustomization.yaml, kustomization.yml, Kustomization in this folder',
    );
  });

  it('renders resources, secrets, replacements and JSON patches', () => {
    write('base/kustomization.yaml', 'resources: [cm.yaml]\n');
    write(
      'base/cm.yaml',
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: n}\ndata: {k: old}\n',
    );
    write('secret.txt', 'hello');
    write(
      'kustomization.yaml',
      [
        'resources: [base]',
        'generatorOptions: {disableNameSuffixHash: true, labels: {a: b}}',
        'secretGenerator: [{name: s, namespace: n, files: [greeting=secret.txt]}]',
        'replacements:',
        '- source: {kind: Secret, name: s, fieldPath: data.greeting}',
        '  targets: [{select: {kind: ConfigMap}, fieldPaths: [data.k]}]',
        'patches:',
        '- target: {kind: ConfigMap, name: c}',
        '  patch: |-',
        '    - {op: add, path: /data/extra, value: "1"}',
        '',
      ].join('\n'),
    );
    const objects = renderKustomization(dir);
    expect(objects).toEqual([
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'c', namespace: 'n' },
        data: { k: 'aGVsbG8=', extra: '1' },
      },
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 's', labels: { a: 'b' }, namespace: 'n' },
        type: 'Opaque',
        data: { greeting: 'aGVsbG8=' },
      },
    ]);
  });

  it('copies YAML aliases, so a patch changes one place only', () => {
    write(
      'x.yaml',
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: &d {k: v}\nbinaryData: *d\n',
    );
    write(
      'kustomization.yaml',
      'resources: [x.yaml]\npatches: [{target: {kind: ConfigMap}, patch: "[{op: replace, path: /data/k, value: w}]"}]\n',
    );
    const [cm] = renderKustomization(dir);
    expect(cm?.data).toEqual({ k: 'w' });
    expect(cm?.binaryData).toEqual({ k: 'v' });
  });

  it('rejects what it does not implement, so install/ cannot outgrow it silently', () => {
    write('kustomization.yaml', 'resources: []\nimages: [{name: x, newTag: y}]\n');
    expect(() => renderKustomization(dir)).toThrow(/field "images" is not supported by weft install/);
  });

  it('names a cycle, a duplicate and a patch that matches nothing', () => {
    write('kustomization.yaml', 'resources: [a]\n');
    write('a/kustomization.yaml', 'resources: [..]\n');
    expect(() => renderKustomization(dir)).toThrow(/kustomization cycle/);
    write('kustomization.yaml', 'resources: [x.yaml, x.yaml]\n');
    write('x.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n');
    expect(() => renderKustomization(dir)).toThrow('ConfigMap//c is defined twice');
    write('kustomization.yaml', 'resources: [x.yaml]\npatches: [{target: {kind: Secret}, patch: "[]"}]\n');
    expect(() => renderKustomization(dir)).toThrow(KustomizeError);
  });
});

describe('kustomizeBase64', () => {
  it('wraps at 70 characters with a newline after each line, as kustomize does', () => {
    expect(kustomizeBase64(Buffer.from('short'))).toBe('c2hvcnQ=');
    const long = kustomizeBase64(Buffer.alloc(100, 1));
    const lines = long.split('\n');
    expect(lines.at(-1)).toBe('');
    expect(lines[0]).toHaveLength(70);
    expect(Buffer.from(long.replaceAll('\n', ''), 'base64')).toEqual(Buffer.alloc(100, 1));
  });
});

describe('sortForApply', () => {
  it('puts namespaces and CRDs first and webhooks last', () => {
    const o = (kind: string, name = 'x') => ({ apiVersion: 'v1', kind, metadata: { name } });
    const sorted = sortForApply([
      o('MutatingWebhookConfiguration'),
      o('Deployment'),
      o('Namespace'),
      o('Widget'),
      o('CustomResourceDefinition'),
    ]);
    expect(sorted.map((x) => x.kind)).toEqual([
      'Namespace',
      'CustomResourceDefinition',
      'Deployment',
      'Widget',
      'MutatingWebhookConfiguration',
    ]);
  });
});
