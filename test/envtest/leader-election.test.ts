// Leader election on a real kube-apiserver 1.32: the Lease the LeaseElector writes is accepted
// as written (MicroTime renewTime/acquireTime, the API server's own validation), a replace with a
// stale resourceVersion is refused 409 (the compare-and-swap the election rests on), one of two
// electors leads, a released Lease passes to the other at its next try, and the install's RBAC
// lets the control plane's ServiceAccount do exactly what the elector does with that Lease.
import { ApiException, CoordinationV1Api, KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { LeaseElector } from '@weft/control-plane';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../install/crd-validator.js';
import { Envtest, envtestAssets, envtestSuiteTitle } from '../support/envtest.js';

const assets = envtestAssets();
const NS = 'weft-system';
const NAME = 'weft-control-plane';
const POLL = { timeout: 30_000, interval: 50 };

describe.skipIf(assets.type !== 'ok')(
  envtestSuiteTitle('leader election on a real API server', assets),
  () => {
    let env: Envtest;
    let kc: KubeConfig;
    let api: CoordinationV1Api;
    const electors: LeaseElector[] = [];

    beforeAll(async () => {
      if (assets.type !== 'ok') return;
      env = await Envtest.start(assets);
      kc = new KubeConfig();
      kc.loadFromFile(env.kubeconfigPath);
      api = kc.makeApiClient(CoordinationV1Api);
      const ns = await env.kubectl(['create', 'namespace', NS]);
      if (ns.code !== 0) throw new Error(ns.stderr);
      const rbac = await env.kubectl(['apply', '-f', `${REPO}install/base/control-plane-rbac.yaml`]);
      if (rbac.code !== 0) throw new Error(rbac.stderr);
    }, 120_000);

    afterAll(async () => {
      await Promise.all(electors.map((e) => e.close()));
      await env?.close();
    });

    const elector = (identity: string) => {
      const e = new LeaseElector({
        kubeConfig: kc,
        namespace: NS,
        name: NAME,
        identity,
        leaseDurationMs: 3000,
      });
      electors.push(e);
      return e;
    };
    const read = () => api.readNamespacedLease({ name: NAME, namespace: NS });

    it('elects one of two replicas; the API server stores the Lease as written', async () => {
      const [a, b] = [elector('cp-a'), elector('cp-b')];
      a.start();
      await expect.poll(() => a.isLeader(), POLL).toBe(true);
      b.start();
      await expect.poll(() => b.observation().holder, POLL).toBe('cp-a');
      expect(b.isLeader()).toBe(false);
      const lease = await read();
      expect(lease.spec?.holderIdentity).toBe('cp-a');
      expect(lease.spec?.leaseDurationSeconds).toBe(3);
      // Renewals change the Lease (the API server assigns a new resourceVersion each time).
      const rv = lease.metadata?.resourceVersion;
      await expect.poll(async () => (await read()).metadata?.resourceVersion !== rv, POLL).toBe(true);
      expect(String((await read()).spec?.renewTime)).toMatch(/\.\d{6}Z$/);
    }, 60_000);

    it('refuses a replace carrying a stale resourceVersion with 409 Conflict', async () => {
      const stale: V1Lease = await read();
      // The leader renews meanwhile; the copy read before is stale then.
      await expect
        .poll(async () => (await read()).metadata?.resourceVersion !== stale.metadata?.resourceVersion, POLL)
        .toBe(true);
      const err = await api
        .replaceNamespacedLease({
          name: NAME,
          namespace: NS,
          body: { ...stale, spec: { ...stale.spec, holderIdentity: 'intruder' } },
        })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(err).toBeInstanceOf(ApiException);
      expect((err as ApiException<unknown>).code).toBe(409);
      expect((await read()).spec?.holderIdentity).toBe('cp-a');
    }, 60_000);

    it('passes a released Lease to the other replica', async () => {
      const [a, b] = electors as [LeaseElector, LeaseElector];
      await a.close();
      expect(a.isLeader()).toBe(false);
      await expect.poll(() => b.isLeader(), POLL).toBe(true);
      const lease = await read();
      expect(lease.spec?.holderIdentity).toBe('cp-b');
      expect(lease.spec?.leaseTransitions).toBe(0);
    }, 60_000);

    it("grants the control plane's ServiceAccount create, get and update on its Lease, and no other Lease", async () => {
      const can = async (verb: string, what: string) =>
        (
          await env.kubectl([
            'auth',
            'can-i',
            verb,
            what,
            '-n',
            NS,
            '--as',
            `system:serviceaccount:${NS}:weft-control-plane`,
          ])
        ).stdout.trim();
      expect(await can('create', 'leases.coordination.k8s.io')).toBe('yes');
      expect(await can('get', `leases.coordination.k8s.io/${NAME}`)).toBe('yes');
      expect(await can('update', `leases.coordination.k8s.io/${NAME}`)).toBe('yes');
      expect(await can('update', 'leases.coordination.k8s.io/another')).toBe('no');
      expect(await can('delete', `leases.coordination.k8s.io/${NAME}`)).toBe('no');
    }, 60_000);
  },
);
