// crds/ and `weft install` on a real kube-apiserver 1.32: applied with server-side apply (both
// `-f crds/` and `-k crds/`), accepted within the CEL cost budget, established; and invalid
// resources refused with their messages.
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '@weft/cli';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../install/crd-validator.js';
import { opensslIdentityDir, runInjectorCertScript } from '../install/fixtures.js';
import { Envtest, envtestAssets, envtestSuiteTitle } from '../support/envtest.js';

const assets = envtestAssets();
const CRD_NAMES = [
  'authorizationpolicies.weft.dev',
  'trafficpolicies.weft.dev',
  'trafficsplits.split.smi-spec.io',
];

async function weftInstall(identityDir: string): Promise<string> {
  let stdout = '';
  let stderr = '';
  const saved = process.exitCode;
  const code = await main(['node', 'weft', 'install', '--identity-dir', identityDir], {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
  });
  process.exitCode = saved;
  if (code !== 0) throw new Error(`weft install exited ${code}: ${stderr}`);
  return stdout;
}

describe.skipIf(assets.type !== 'ok')(envtestSuiteTitle('install on a real API server', assets), () => {
  let env: Envtest;
  beforeAll(async () => {
    if (assets.type !== 'ok') return;
    env = await Envtest.start(assets);
  }, 90_000);
  afterAll(async () => {
    await env?.close();
  });

  const ok = (r: { code: number; stdout: string; stderr: string }) => {
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  };

  async function deleteCrds(): Promise<void> {
    ok(await env.kubectl(['delete', 'crd', ...CRD_NAMES, '--ignore-not-found', '--wait=true']));
  }

  async function expectEstablished(): Promise<void> {
    ok(
      await env.kubectl([
        'wait',
        '--for=condition=Established',
        '--timeout=30s',
        ...CRD_NAMES.map((n) => `crd/${n}`),
      ]),
    );
  }

  it('applies `kubectl apply --server-side -f crds/` within the CEL cost budget', async () => {
    const r = await env.kubectl(['apply', '--server-side', '-f', `${REPO}crds/`]);
    // The whole folder: a kustomization file in it must not be read as a resource.
    expect(r.stdout.trim().split('\n').sort()).toEqual(
      CRD_NAMES.map((n) => `customresourcedefinition.apiextensions.k8s.io/${n} serverside-applied`),
    );
    ok(r);
    await expectEstablished();
    await deleteCrds();
  });

  it('applies `kubectl apply --server-side -k crds/`', async () => {
    const r = await env.kubectl(['apply', '--server-side', '-k', `${REPO}crds/`]);
    ok(r);
    expect(r.stdout.trim().split('\n')).toHaveLength(CRD_NAMES.length);
    await expectEstablished();
    await deleteCrds();
  });

  it('applies `kubectl apply --server-side -k install/` (kustomize reads crds/ through its Kustomization)', async () => {
    const identity = opensslIdentityDir();
    const root = mkdtempSync(join(tmpdir(), 'weft-kustomize-'));
    try {
      cpSync(join(REPO, 'install'), join(root, 'install'), { recursive: true });
      cpSync(join(REPO, 'crds'), join(root, 'crds'), { recursive: true });
      const ids = join(root, 'install', 'identity');
      for (const f of readdirSync(identity.dir)) cpSync(join(identity.dir, f), join(ids, f));
      runInjectorCertScript(ids);
      const r = await env.kubectl(['apply', '--server-side', '-k', join(root, 'install')]);
      ok(r);
      expect(r.stdout).toContain(
        'customresourcedefinition.apiextensions.k8s.io/trafficsplits.split.smi-spec.io serverside-applied',
      );
      await expectEstablished();
    } finally {
      identity.cleanup();
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('applies `weft install | kubectl apply --server-side -f -`', async () => {
    const identity = opensslIdentityDir();
    try {
      runInjectorCertScript(identity.dir);
      const manifest = await weftInstall(identity.dir);
      const r = await env.kubectl(['apply', '--server-side', '-f', '-'], manifest);
      ok(r);
      expect(r.stdout).toContain(
        'customresourcedefinition.apiextensions.k8s.io/trafficsplits.split.smi-spec.io serverside-applied',
      );
      expect(r.stdout).toContain(
        'mutatingwebhookconfiguration.admissionregistration.k8s.io/weft-injector serverside-applied',
      );
      await expectEstablished();
      // Applying the same stream again is a conflict-free update. (Nothing is deleted: without a
      // controller-manager a deleted namespace stays Terminating.)
      ok(await env.kubectl(['apply', '--server-side', '-f', '-'], manifest));
    } finally {
      identity.cleanup();
    }
  });

  /** A TrafficSplit of `version` in namespace default. */
  function split(version: string, name: string, spec: unknown): string {
    return JSON.stringify({
      apiVersion: `split.smi-spec.io/${version}`,
      kind: 'TrafficSplit',
      metadata: { name, namespace: 'default' },
      spec,
    });
  }

  function weftResource(kind: string, name: string, spec: unknown): string {
    return JSON.stringify({
      apiVersion: 'weft.dev/v1alpha1',
      kind,
      metadata: { name, namespace: 'default' },
      spec,
    });
  }

  const target = { kind: 'Service', name: 'api' };

  describe('CRD validation', () => {
    beforeAll(async () => {
      const r = await env.kubectl(['apply', '--server-side', '-f', `${REPO}crds/`]);
      if (r.code !== 0) throw new Error(r.stderr);
      await env.kubectl([
        'wait',
        '--for=condition=Established',
        '--timeout=30s',
        ...CRD_NAMES.map((n) => `crd/${n}`),
      ]);
    });

    it.each([
      [
        'v1alpha1',
        [
          { service: 'b', weight: '900m' },
          { service: 'c', weight: '100m' },
          { service: 'd', weight: 5 },
          { service: 'e' },
        ],
      ],
      ['v1alpha2', [{ service: 'b' }, { service: 'c', weight: 100 }]],
      [
        'v1alpha3',
        [
          { service: 'b', weight: 0 },
          { service: 'c', weight: 100 },
        ],
      ],
      [
        'v1alpha4',
        [
          { service: 'b', weight: 10 },
          { service: 'c', weight: 90 },
        ],
      ],
    ])('accepts a %s split in its own weight type', async (version, backends) => {
      const r = await env.kubectl(
        ['apply', '--server-side', '-f', '-'],
        split(version, `ok-${version}`, { service: 'a', backends }),
      );
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    });

    it.each([
      [
        'a negative v1alpha4 weight',
        split('v1alpha4', 'neg', { service: 'a', backends: [{ service: 'b', weight: -1 }] }),
        'spec.backends[0].weight: Invalid value: -1: spec.backends[0].weight in body should be greater than or equal to 0',
      ],
      [
        'a negative v1alpha1 integer weight',
        split('v1alpha1', 'neg1', { service: 'a', backends: [{ service: 'b', weight: -1 }] }),
        'spec.backends[0].weight in body should be greater than or equal to 0',
      ],
      [
        'a negative v1alpha1 quantity',
        split('v1alpha1', 'negq', { service: 'a', backends: [{ service: 'b', weight: '-5' }] }),
        `spec.backends[0].weight in body should match '^[0-9]+(\\.[0-9]+)?m?$'`,
      ],
      [
        'a duplicate backend',
        split('v1alpha2', 'dup', {
          service: 'a',
          backends: [
            { service: 'b', weight: 1 },
            { service: 'b', weight: 2 },
          ],
        }),
        'each backend service may appear only once',
      ],
      [
        'no backends',
        split('v1alpha2', 'none', { service: 'a', backends: [] }),
        'spec.backends in body should have at least 1 items',
      ],
      [
        'an unknown field',
        split('v1alpha2', 'typo', { service: 'a', backends: [{ service: 'b', wieght: 1 }] }),
        '.spec.backends[0].wieght: field not declared in schema',
      ],
      [
        'a bad balancer enum',
        weftResource('TrafficPolicy', 'lb', { targetRef: target, loadBalancer: { type: 'Random' } }),
        'spec.loadBalancer.type: Unsupported value: "Random": supported values: "PeakEWMA", "RoundRobin", "LeastRequest"',
      ],
      [
        'a bad duration',
        weftResource('TrafficPolicy', 'dur', { targetRef: target, timeouts: { request: '10 seconds' } }),
        'spec.timeouts.request in body should match',
      ],
      [
        'a retry count over the limit',
        weftResource('TrafficPolicy', 'retry', { targetRef: target, retry: { attempts: 11 } }),
        'spec.retry.attempts: Invalid value: 11: spec.retry.attempts in body should be less than or equal to 10',
      ],
      [
        'an empty from entry',
        weftResource('AuthorizationPolicy', 'any', { targetRef: target, from: [{}] }),
        'a from entry must set identities, namespaces or unauthenticated',
      ],
      [
        'a bad action',
        weftResource('AuthorizationPolicy', 'act', { targetRef: target, action: 'Audit' }),
        'spec.action: Unsupported value: "Audit": supported values: "Allow", "Deny"',
      ],
      [
        'a target that is not a Service',
        weftResource('TrafficPolicy', 'tgt', { targetRef: { kind: 'Deployment', name: 'api' } }),
        'spec.targetRef.kind: Unsupported value: "Deployment": supported values: "Service"',
      ],
    ])('refuses %s with its message', async (_what, manifest, message) => {
      const r = await env.kubectl(['apply', '--server-side', '-f', '-'], manifest);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(message);
    });
  });
});
