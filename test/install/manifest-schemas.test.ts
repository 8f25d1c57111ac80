// The rendered installation against the Kubernetes API schemas (kubernetes-models) and against
// kubectl's own kustomize, when kubectl is installed.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type KubeObject, objectKey, renderInstall } from '@weft/cli/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  hasKubectl,
  INSTALL_DIR,
  opensslIdentityDir,
  parseYamlStream,
  REPO,
  runInjectorCertScript,
} from './fixtures.js';
import { get, noIssuer } from './rendered.js';

let identity: { dir: string; cleanup: () => void };
let objects: KubeObject[];
let ha: KubeObject[];

beforeAll(() => {
  identity = opensslIdentityDir();
  runInjectorCertScript(identity.dir);
  objects = renderInstall(
    { manifestsDir: INSTALL_DIR, ha: false, jaeger: false, identityDir: identity.dir },
    noIssuer,
  );
  ha = renderInstall(
    { manifestsDir: INSTALL_DIR, ha: true, jaeger: false, identityDir: identity.dir },
    noIssuer,
  );
});
afterAll(() => identity.cleanup());

describe('Kubernetes API schemas (kubernetes-models)', () => {
  it('every object of both profiles validates against its built-in type', async () => {
    let validated = 0;
    for (const o of [...objects, ...ha]) {
      const mod = (await import(/* @vite-ignore */ `kubernetes-models/${o.apiVersion}`)) as Record<
        string,
        new (
          data: unknown,
        ) => { validate(): void }
      >;
      const Model = mod[o.kind];
      expect(Model, `${o.apiVersion} ${o.kind}`).toBeDefined();
      // Secret data and the caBundle are base64 wrapped at 70 columns as kustomize writes them;
      // the API server's decoder (Go's encoding/base64) skips the newlines, the models' "byte"
      // format does not, so unwrap them here.
      const data = structuredClone(o) as Record<string, any>;
      if (data.kind === 'Secret') {
        for (const k of Object.keys(data.data)) data.data[k] = data.data[k].replaceAll('\n', '');
      }
      for (const hook of data.webhooks ?? [])
        hook.clientConfig.caBundle = hook.clientConfig.caBundle.replaceAll('\n', '');
      expect(
        () => new (Model as new (data: unknown) => { validate(): void })(data).validate(),
        objectKey(o),
      ).not.toThrow();
      validated++;
    }
    expect(validated).toBe(objects.length + ha.length);
  });

  it('would catch a misplaced field', async () => {
    const { Deployment } = await import('kubernetes-models/apps/v1');
    const bad = structuredClone(get(objects, 'Deployment', 'weft-control-plane'));
    bad.spec.template.spec.containers[0].livenessProbe.httpGet.port = { name: 'admin-http' };
    expect(() => new Deployment(bad).validate()).toThrow();
  });
});

describe('kubectl kustomize (when kubectl is installed)', () => {
  const kubectl = hasKubectl();
  it.skipIf(!kubectl).each([
    ['install/', false],
    ['install/ha', true],
  ])('renders %s to the same objects as weft install', (dir, isHa) => {
    const tmp = mkdtempSync(join(tmpdir(), 'weft-kustomize-'));
    try {
      cpSync(INSTALL_DIR, join(tmp, 'install'), { recursive: true });
      cpSync(join(REPO, 'crds'), join(tmp, 'crds'), { recursive: true });
      cpSync(identity.dir, join(tmp, 'install', 'identity'), { recursive: true });
      const r = spawnSync('kubectl', ['kustomize', join(tmp, dir)], { encoding: 'utf8', timeout: 60_000 });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const fromKubectl = parseYamlStream(r.stdout, '1.1') as KubeObject[];
      const ours = isHa ? ha : objects;
      const byKey = (list: readonly KubeObject[]) => Object.fromEntries(list.map((o) => [objectKey(o), o]));
      expect(byKey(ours)).toEqual(byKey(fromKubectl));
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
