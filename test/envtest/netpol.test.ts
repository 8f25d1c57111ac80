// Generated NetworkPolicies on a real kube-apiserver 1.32: every object the generator writes for
// the fixtures is accepted by the NetworkPolicy schema (server-side dry-run create); `weft netpol
// generate` reads a cluster holding a fixture world and prints what the pure function computes
// from the same files; and the control plane's controller creates the policies, updates them when
// an AuthorizationPolicy changes, deletes the one of a deleted pod, repairs an edited one, and
// leaves unlabelled NetworkPolicies alone (also one holding a generated name).

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import { main } from '@weft/cli';
import {
  ControlPlaneMetrics,
  compileNetworkPolicies,
  KubernetesSource,
  MeshState,
  NetworkPolicyController,
  netpolInputsFromState,
} from '@weft/control-plane';
import { seededRandom, systemClock } from '@weft/core';
import { createIdentityMaterial, writeIdentityDir } from '@weft/pki';
import { createLogger } from '@weft/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO } from '../install/crd-validator.js';
import { FIXTURES, inputsOf, loadWorld } from '../netpol/fixture.js';
import { Envtest, envtestAssets, envtestSuiteTitle } from '../support/envtest.js';

const assets = envtestAssets();
const POLL = { timeout: 30_000, interval: 100 };
const NP = (ns: string, name = '') =>
  `/apis/networking.k8s.io/v1/namespaces/${ns}/networkpolicies${name === '' ? '' : `/${name}`}`;

describe.skipIf(assets.type !== 'ok')(
  envtestSuiteTitle('NetworkPolicies on a real API server', assets),
  () => {
    let env: Envtest;
    let kubeConfig: KubeConfig;

    async function apply(objects: unknown[]): Promise<void> {
      const r = await env.kubectl(
        ['apply', '--server-side', '-f', '-'],
        JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }),
      );
      if (r.code !== 0) throw new Error(r.stderr);
    }

    beforeAll(async () => {
      if (assets.type !== 'ok') return;
      env = await Envtest.start(assets);
      const crds = await env.kubectl(['apply', '--server-side', '-f', `${REPO}crds/`]);
      if (crds.code !== 0) throw new Error(crds.stderr);
      const est = await env.kubectl([
        'wait',
        '--for=condition=Established',
        '--timeout=30s',
        'crd/authorizationpolicies.weft.dev',
      ]);
      if (est.code !== 0) throw new Error(est.stderr);
      // Every fixture's namespaces, so that each generated object can be dry-run created.
      const names = new Set(FIXTURES.flatMap((f) => loadWorld(f).namespaces.map((n) => n.metadata.name)));
      await apply([...names].map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } })));
      kubeConfig = new KubeConfig();
      kubeConfig.loadFromFile(env.kubeconfigPath);
      await createShopWorld();
    }, 120_000);

    afterAll(async () => {
      await env?.close();
    });

    it('accepts every generated object (server-side dry-run create)', async () => {
      let checked = 0;
      for (const f of FIXTURES) {
        for (const p of compileNetworkPolicies(inputsOf(loadWorld(f))).policies) {
          const r = await env.api('POST', `${NP(p.metadata.namespace)}?dryRun=All&fieldValidation=Strict`, p);
          expect({
            f,
            name: p.metadata.name,
            status: r.status,
            body: r.status === 201 ? '' : r.body,
          }).toEqual({
            f,
            name: p.metadata.name,
            status: 201,
            body: '',
          });
          // What the server stored (defaults applied) says the same as what was sent.
          expect(r.body.spec).toEqual(p.spec);
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(10);
    });

    /** The shop-strict world in the cluster: its objects, and a ServiceAccount for each pod. */
    async function createShopWorld(): Promise<void> {
      const world = loadWorld('shop-strict');
      const accounts = new Set(
        world.pods.map((p) => `${p.metadata.namespace}/${p.spec.serviceAccountName ?? 'default'}`),
      );
      await apply([
        ...[...accounts].map((a) => {
          const [namespace, name] = a.split('/');
          return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } };
        }),
        ...world.raw
          .filter((d) => d.kind !== 'Namespace' && d.kind !== 'ConfigMap')
          .map((d) => {
            const { status: _status, ...rest } = d;
            if (d.kind !== 'Pod') return rest;
            // The API server requires an image; the generator never reads it.
            const containers = d.spec.containers.map((c: object) => ({
              image: 'registry.example/app:1',
              ...c,
            }));
            return { ...rest, spec: { ...d.spec, containers } };
          }),
        world.raw.find((d) => d.kind === 'ConfigMap'),
      ]);
    }

    it('weft netpol generate prints, from the cluster, what the generator computes from the files', async () => {
      const generate = async (...args: string[]) => {
        let stdout = '';
        let stderr = '';
        const saved = process.exitCode;
        const code = await main(
          ['node', 'weft', 'netpol', 'generate', '--kubeconfig', env.kubeconfigPath, ...args],
          {
            stdout: (t) => {
              stdout += t;
            },
            stderr: (t) => {
              stderr += t;
            },
          },
        );
        process.exitCode = saved;
        return { code, stdout, stderr };
      };
      const all = await generate('--all-namespaces', '-o', 'json');
      expect(all.stderr).toBe('');
      expect(all.code).toBe(0);
      const stdout = all.stdout;
      const printed = JSON.parse(stdout).items;
      const expected = compileNetworkPolicies(inputsOf(loadWorld('shop-strict'))).policies.filter((p) =>
        ['shop', 'monitoring', 'weft-system'].includes(p.metadata.namespace),
      );
      expect(printed).toEqual(JSON.parse(JSON.stringify(expected)));

      const shop = await generate('-n', 'shop');
      expect(shop.code).toBe(0);
      expect(shop.stdout).toMatch(/^# weft .*namespace shop/);
      const docs = shop.stdout
        .split(/^---$/m)
        .slice(1)
        .map((d) => parse(d));
      expect(docs.map((d) => `${d.metadata.namespace}/${d.metadata.name}`)).toEqual(
        expected.filter((p) => p.metadata.namespace === 'shop').map((p) => `shop/${p.metadata.name}`),
      );
    });

    it('the controller creates, updates, deletes and repairs its policies and leaves others alone', async () => {
      // Unlabelled: one of the user's own, and one holding a name the generator wants.
      const userPolicy = {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'user-policy', namespace: 'shop' },
        spec: { podSelector: {}, policyTypes: ['Ingress'] },
      };
      const squatter = {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'weft-injector', namespace: 'weft-system' },
        spec: { podSelector: { matchLabels: { mine: 'yes' } } },
      };
      const u = await env.api('POST', NP('shop'), userPolicy);
      const s = await env.api('POST', NP('weft-system'), squatter);
      expect([u.status, s.status]).toEqual([201, 201]);

      const metrics = new ControlPlaneMetrics();
      const state = new MeshState();
      const source = new KubernetesSource({ kubeConfig, metrics });
      const logger = createLogger({ component: 'netpol-test', level: 'warn' });
      let controller: NetworkPolicyController | undefined;
      await source.start((events) => {
        state.apply(events);
        controller?.changed();
      });
      controller = new NetworkPolicyController({
        kubeConfig,
        inputs: () => (source.ready() ? netpolInputsFromState(state, 'weft-system') : undefined),
        logger,
        registry: metrics.registry,
        clock: systemClock,
        random: seededRandom(1),
        debounceMs: 20,
        resyncMs: 3_600_000,
      });
      const owned = async () => {
        const r = await env.api(
          'GET',
          '/apis/networking.k8s.io/v1/networkpolicies?labelSelector=weft.dev%2Fgenerated%3Dnetwork-policy',
        );
        return (r.body.items as any[]).map((p) => `${p.metadata.namespace}/${p.metadata.name}`).sort();
      };
      const desired = () =>
        compileNetworkPolicies(netpolInputsFromState(state, 'weft-system'))
          .policies.map((p) => `${p.metadata.namespace}/${p.metadata.name}`)
          .filter((k) => k !== 'weft-system/weft-injector')
          .sort();
      try {
        await expect.poll(() => source.ready(), POLL).toBe(true);
        controller.start();
        await expect.poll(async () => (await owned()).join() === desired().join(), POLL).toBe(true);
        expect(desired().length).toBeGreaterThan(5);
        await expect.poll(() => controller?.last?.conflicts, POLL).toBe(1);

        // Update: db now also admits web.
        const db = (await owned()).find((k) => k.startsWith('shop/weft-db-')) as string;
        await apply([
          {
            apiVersion: 'weft.dev/v1alpha1',
            kind: 'AuthorizationPolicy',
            metadata: { name: 'db-from-api', namespace: 'shop' },
            spec: {
              targetRef: { kind: 'Service', name: 'db' },
              from: [
                {
                  identities: [
                    'spiffe://cluster.local/ns/shop/sa/api',
                    'spiffe://cluster.local/ns/shop/sa/web',
                  ],
                },
              ],
            },
          },
        ]);
        const dbAccounts = async () => {
          const r = await env.api('GET', NP('shop', db.split('/')[1]));
          return r.body.spec.ingress?.[1]?.from?.[0]?.podSelector?.matchExpressions?.[0]?.values;
        };
        await expect.poll(dbAccounts, POLL).toEqual(['api', 'web']);

        // Delete: the legacy pod goes, and so does its policy.
        const legacy = (await owned()).find((k) => k.startsWith('shop/weft-legacy-')) as string;
        const d = await env.api('DELETE', '/api/v1/namespaces/shop/pods/legacy-1?gracePeriodSeconds=0');
        expect(d.status).toBe(200);
        await expect.poll(owned, POLL).not.toContain(legacy);

        // Repair: an edit to an owned policy is undone (its watch asks for a reconcile).
        const web = (await owned()).find((k) => k.startsWith('shop/weft-web-')) as string;
        const before = (await env.api('GET', NP('shop', web.split('/')[1]))).body.spec;
        const patched = await env.api(
          'PATCH',
          NP('shop', web.split('/')[1]),
          { spec: { ingress: [] } },
          'application/merge-patch+json',
        );
        expect(patched.status).toBe(200);
        await expect
          .poll(async () => (await env.api('GET', NP('shop', web.split('/')[1]))).body.spec, POLL)
          .toEqual(before);

        // A steady state writes nothing.
        const quiet = await controller.reconcile();
        expect(quiet).toEqual({ type: 'done', created: 0, updated: 0, deleted: 0, conflicts: 1, errors: 0 });

        // The unlabelled objects are as they were.
        const u2 = await env.api('GET', NP('shop', 'user-policy'));
        const s2 = await env.api('GET', NP('weft-system', 'weft-injector'));
        expect(u2.body.metadata.resourceVersion).toBe(u.body.metadata.resourceVersion);
        expect(s2.body.metadata.resourceVersion).toBe(s.body.metadata.resourceVersion);
        expect(s2.body.spec.podSelector).toEqual({ matchLabels: { mine: 'yes' } });
      } finally {
        await controller.close();
        await source.close();
      }
    }, 120_000);

    it('`weft control-plane --manage-network-policies` (the binary) puts them in the cluster', async () => {
      // Start from none: whatever the previous test's controller left is deleted first.
      const del = await env.kubectl([
        'delete',
        'networkpolicy',
        '--all-namespaces',
        '-l',
        'weft.dev/generated=network-policy',
      ]);
      expect(del.code).toBe(0);
      const dir = mkdtempSync(join(tmpdir(), 'weft-netpol-cp-'));
      await writeIdentityDir(
        join(dir, 'identity'),
        createIdentityMaterial({
          trustDomain: 'cluster.local',
          anchorValidityMs: 86_400_000,
          issuerValidityMs: 86_400_000,
        }),
      );
      const child = spawn(
        process.execPath,
        [
          fileURLToPath(new URL('../../packages/cli/bin/weft.js', import.meta.url)),
          'control-plane',
          '--kubeconfig',
          env.kubeconfigPath,
          '--identity-dir',
          join(dir, 'identity'),
          '--listen',
          '127.0.0.1:0',
          '--admin-listen',
          '127.0.0.1:0',
          '--manage-network-policies',
        ],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
          env: { ...process.env, WEFT_POD_NAMESPACE: 'weft-system', WEFT_LOG_LEVEL: 'warn' },
        },
      );
      let stdout = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.resume();
      try {
        await expect.poll(() => stdout.includes('"event":"listening"'), POLL).toBe(true);
        const admin = JSON.parse(stdout.split('\n')[0] as string).admin as number;
        const expected = compileNetworkPolicies(inputsOf(loadWorld('shop-strict')))
          .policies.filter((p) => ['shop', 'monitoring', 'weft-system'].includes(p.metadata.namespace))
          .map((p) => p.metadata.name)
          // legacy-1 was deleted by the previous test; weft-injector is held by an unlabelled policy.
          .filter((n) => !n.startsWith('weft-legacy-') && n !== 'weft-injector');
        await expect
          .poll(async () => {
            const r = await env.api(
              'GET',
              '/apis/networking.k8s.io/v1/networkpolicies?labelSelector=weft.dev%2Fgenerated%3Dnetwork-policy',
            );
            return (r.body.items as any[]).map((p) => p.metadata.name).sort();
          }, POLL)
          .toEqual([...expected].sort());
        const metrics = await (await fetch(`http://127.0.0.1:${admin}/metrics`)).text();
        expect(metrics).toMatch(/^weft_netpol_managed_policies \d+$/m);
        expect(metrics).toContain('weft_netpol_conflicts 1');
      } finally {
        child.kill('SIGTERM');
        if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
        rmSync(dir, { recursive: true, force: true });
      }
    }, 60_000);
  },
);
