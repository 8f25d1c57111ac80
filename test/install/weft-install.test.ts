// `weft install` through the CLI entry point: one YAML stream holding every object of install/
// exactly once, safe for kubectl's YAML 1.1 parser; the flags; and clear errors.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type IdentityIssuer, type KubeObject, objectKey, renderInstall } from '@weft/cli/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { runWeft } from '../support/run-weft.js';
import { INSTALL_DIR, opensslIdentityDir, parseYamlStream, REPO, runInjectorCertScript } from './fixtures.js';

const noIssuer: IdentityIssuer = {
  createCa: () => {
    throw new Error('no CA expected');
  },
  check: () => ({ issuerNotAfter: Date.now() + 10 * 365 * 86_400_000 }),
  issueServing: () => {
    throw new Error('no CA expected');
  },
};

let identity: { dir: string; cleanup: () => void };
beforeAll(() => {
  identity = opensslIdentityDir();
  runInjectorCertScript(identity.dir);
});
afterAll(() => identity.cleanup());

function objectsOf(stdout: string): KubeObject[] {
  const v12 = parseYamlStream(stdout, '1.2') as KubeObject[];
  // kubectl reads YAML 1.1: `on`, `yes`, `no` ... must come out the same.
  expect(parseYamlStream(stdout, '1.1')).toEqual(v12);
  return v12;
}

describe('weft install', () => {
  it('prints every object of install/ exactly once, in apply order', async () => {
    const r = await runWeft('install', '--identity-dir', identity.dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith('# weft ')).toBe(true);
    const objects = objectsOf(r.stdout);
    const keys = objects.map(objectKey);
    expect(new Set(keys).size).toBe(keys.length);
    const expected = renderInstall(
      { manifestsDir: INSTALL_DIR, ha: false, jaeger: false, identityDir: identity.dir },
      noIssuer,
    );
    expect([...keys].sort()).toEqual(expected.map(objectKey).sort());
    expect(objects).toEqual(expected);
    // Namespace and CRDs before anything that needs them; the webhook after the injector.
    expect(objects[0]?.kind).toBe('Namespace');
    const idx = (kind: string) => objects.findIndex((o) => o.kind === kind);
    expect(idx('CustomResourceDefinition')).toBeLessThan(idx('Deployment'));
    expect(objects.at(-1)?.kind).toBe('MutatingWebhookConfiguration');
    // No anchors or aliases: every object is spelled out.
    expect(r.stdout).not.toMatch(/(: |- )[&*]a\d+/);
    // The TrafficPolicy CRD's `on` field survives a YAML 1.1 reader as "on", not true.
    const tp = objects.find((o) => o.metadata.name === 'trafficpolicies.weft.dev') as any;
    expect(
      Object.keys(tp.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.retry.properties),
    ).toContain('on');
  });

  it('the built binary finds the manifests from its own location', async () => {
    const bin = join(REPO, 'packages', 'cli', 'bin', 'weft.js');
    const r = spawnSync(process.execPath, [bin, 'install', '--identity-dir', identity.dir], {
      cwd: tmpdir(),
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const inProcess = await runWeft('install', '--identity-dir', identity.dir);
    expect(objectsOf(r.stdout)).toEqual(objectsOf(inProcess.stdout));
  });

  it('--ha prints the HA profile; --webhook-failure-policy overrides the webhook', async () => {
    const r = await runWeft(
      'install',
      '--ha',
      '--identity-dir',
      identity.dir,
      '--webhook-failure-policy',
      'Ignore',
    );
    expect(r.code).toBe(0);
    const objects = objectsOf(r.stdout) as any[];
    expect(
      objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'weft-control-plane').spec.replicas,
    ).toBe(3);
    expect(objects.find((o) => o.kind === 'MutatingWebhookConfiguration').webhooks[0].failurePolicy).toBe(
      'Ignore',
    );
    const fail = objectsOf(
      (await runWeft('install', '--identity-dir', identity.dir, '--webhook-failure-policy', 'Fail')).stdout,
    ) as any[];
    expect(fail.find((o) => o.kind === 'MutatingWebhookConfiguration').webhooks[0].failurePolicy).toBe(
      'Fail',
    );
  });

  it('rejects a bad failure policy as a usage error', async () => {
    const r = await runWeft('install', '--webhook-failure-policy', 'Maybe');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Maybe');
  });

  it('names the missing files of an incomplete identity folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-empty-identity-'));
    try {
      const r = await runWeft('install', '--identity-dir', dir);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('lacks ca.crt, issuer.crt, issuer.key, token.key');
      expect(r.stderr).toContain(`weft identity create-ca --identity-dir ${dir}`);
      expect(r.stdout).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses half an injector key pair', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-half-identity-'));
    try {
      cpSync(identity.dir, dir, { recursive: true });
      unlinkSync(join(dir, 'injector.key'));
      const r = await runWeft('install', '--identity-dir', dir);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('only one of injector.crt and injector.key');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails clearly on a manifests folder that is not one', async () => {
    const r = await runWeft(
      'install',
      '--manifests',
      join(REPO, 'docs-does-not-exist'),
      '--identity-dir',
      identity.dir,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('kustomization.yaml');
  });

  describe('--jaeger', () => {
    let manifests: string;
    beforeAll(() => {
      manifests = mkdtempSync(join(tmpdir(), 'weft-manifests-'));
      cpSync(INSTALL_DIR, join(manifests, 'install'), { recursive: true });
      cpSync(join(REPO, 'crds'), join(manifests, 'crds'), { recursive: true });
    });
    afterAll(() => rmSync(manifests, { recursive: true, force: true }));

    it('fails with a clear message while the addon is missing', async () => {
      rmSync(join(manifests, 'install', 'addons'), { recursive: true, force: true });
      const r = await runWeft(
        'install',
        '--jaeger',
        '--manifests',
        join(manifests, 'install'),
        '--identity-dir',
        identity.dir,
      );
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        'the Jaeger addon is not in this build (install/addons/jaeger.yaml is missing)',
      );
    });

    it('adds the addon and points tracing at its OTLP/HTTP Service', async () => {
      writeAddon(join(manifests, 'install', 'addons'));
      const r = await runWeft(
        'install',
        '--jaeger',
        '--manifests',
        join(manifests, 'install'),
        '--identity-dir',
        identity.dir,
      );
      expect(r.stderr).toBe('');
      const objects = objectsOf(r.stdout) as any[];
      expect(objects.some((o) => o.kind === 'Service' && o.metadata.name === 'jaeger')).toBe(true);
      const config = parseDocument(objects.find((o) => o.kind === 'ConfigMap').data['config.yaml']).toJS();
      expect(config.tracing).toEqual({
        endpoint: 'http://jaeger.weft-system.svc:4318',
        protocol: 'http/protobuf',
        sampling: 0.01,
      });
    });
  });
});

function writeAddon(dir: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'jaeger.yaml'),
    [
      'apiVersion: v1',
      'kind: Service',
      'metadata: {name: jaeger, namespace: weft-system}',
      'spec:',
      '  selector: {app: jaeger}',
      '  ports: [{name: otlp-http, port: 4318}, {name: otlp-grpc, port: 4317}]',
      '',
    ].join('\n'),
  );
}

describe('weft install --manage-network-policies', () => {
  it('adds the NetworkPolicy RBAC and the control plane flag, and uninstall lists the RBAC', async () => {
    const plain = objectsOf((await runWeft('install', '--identity-dir', identity.dir)).stdout);
    const r = await runWeft('install', '--identity-dir', identity.dir, '--manage-network-policies');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const objects = objectsOf(r.stdout);
    const added = objects.map(objectKey).filter((k) => !plain.map(objectKey).includes(k));
    expect(added.sort()).toEqual([
      'ClusterRole//weft-control-plane-network-policies',
      'ClusterRoleBinding//weft-control-plane-network-policies',
    ]);
    const role = objects.find(
      (o) => o.kind === 'ClusterRole' && o.metadata.name === 'weft-control-plane-network-policies',
    );
    expect((role as any).rules).toEqual([
      {
        apiGroups: ['networking.k8s.io'],
        resources: ['networkpolicies'],
        verbs: ['get', 'list', 'watch', 'create', 'update', 'delete'],
      },
    ]);
    const args = (
      objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'weft-control-plane') as any
    ).spec.template.spec.containers[0].args;
    expect(args).toContain('--manage-network-policies');
    const plainArgs = (
      plain.find((o) => o.kind === 'Deployment' && o.metadata.name === 'weft-control-plane') as any
    ).spec.template.spec.containers[0].args;
    expect(plainArgs).not.toContain('--manage-network-policies');

    const u = await runWeft('uninstall', '--manage-network-policies', '-o', 'json');
    expect(u.code).toBe(0);
    expect(JSON.parse(u.stdout).items.map((o: KubeObject) => o.metadata.name)).toContain(
      'weft-control-plane-network-policies',
    );
  });
});
