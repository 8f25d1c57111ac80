// The injector as a real kube-apiserver 1.32 calls it: `weft injector` (the built binary) serves
// HTTPS on 127.0.0.1, a MutatingWebhookConfiguration points the API server at it by URL with its
// caBundle, and a Pod created in an annotated namespace comes back with the sidecar; one in a
// namespace without the annotation does not.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../install/crd-validator.js';
import { Envtest, envtestAssets, envtestSuiteTitle } from '../support/envtest.js';
import { writeLoopbackCert } from '../support/envtest-files.js';

const assets = envtestAssets();
const WEFT = join(REPO, 'packages', 'cli', 'bin', 'weft.js');

/** Starts `weft injector` on a free loopback port; resolves with its port once it serves. */
function startInjector(args: string[]): Promise<{ proc: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [WEFT, 'injector', ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    const timer = setTimeout(() => reject(new Error(`weft injector did not start:\n${stderr}`)), 30_000);
    proc.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      const m = /serving https:\/\/127\.0\.0\.1:(\d+)\/inject/.exec(stderr);
      if (m !== null) {
        clearTimeout(timer);
        resolve({ proc, port: Number(m[1]) });
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`weft injector exited ${code}:\n${stderr}`));
    });
  });
}

/** A Pod named web in `namespace`, running as the ServiceAccount web. */
function pod(namespace: string) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace, labels: { app: 'web' } },
    spec: {
      serviceAccountName: 'web',
      containers: [{ name: 'web', image: 'web:1', ports: [{ containerPort: 8080 }] }],
    },
  };
}

/** The names of a Pod's init containers and containers. */
function containerNames(p: {
  spec?: { initContainers?: { name: string }[]; containers?: { name: string }[] };
}) {
  return [...(p.spec?.initContainers ?? []), ...(p.spec?.containers ?? [])].map((c) => c.name);
}

describe.skipIf(assets.type !== 'ok')(
  envtestSuiteTitle('injector webhook on a real API server', assets),
  () => {
    let env: Envtest;
    let dir: string;
    let injector: ChildProcess | undefined;

    beforeAll(async () => {
      if (assets.type !== 'ok') return;
      dir = mkdtempSync(join(tmpdir(), 'weft-webhook-'));
      env = await Envtest.start(assets);
      const namespaces = ['shop', 'plain'].map((name) => ({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name, ...(name === 'shop' ? { annotations: { 'weft.dev/inject': 'enabled' } } : {}) },
      }));
      // No controller-manager runs: create the ServiceAccounts the pods use.
      const accounts = ['shop', 'plain'].map((namespace) => ({
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name: 'web', namespace },
      }));
      // The namespaces exist before the injector starts: its namespace cache lists them before it serves.
      const setup = await env.kubectl(
        ['apply', '--server-side', '-f', '-'],
        JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [...namespaces, ...accounts] }),
      );
      if (setup.code !== 0) throw new Error(setup.stderr);
      const tls = writeLoopbackCert(dir, 'injector', 'weft-injector');
      const started = await startInjector([
        '--listen',
        '127.0.0.1:0',
        '--tls-cert-file',
        tls.cert,
        '--tls-key-file',
        tls.key,
        '--kubeconfig',
        env.kubeconfigPath,
        '--image',
        'weft:envtest',
      ]);
      injector = started.proc;
      const webhook = {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'MutatingWebhookConfiguration',
        metadata: { name: 'weft-injector' },
        webhooks: [
          {
            name: 'inject.weft.dev',
            admissionReviewVersions: ['v1'],
            clientConfig: {
              url: `https://127.0.0.1:${started.port}/inject`,
              caBundle: Buffer.from(readFileSync(tls.cert)).toString('base64'),
            },
            // Fail: a pod the webhook was not asked about must not pass silently in this test.
            failurePolicy: 'Fail',
            sideEffects: 'None',
            timeoutSeconds: 10,
            rules: [
              {
                operations: ['CREATE'],
                apiGroups: [''],
                apiVersions: ['v1'],
                resources: ['pods'],
                scope: 'Namespaced',
              },
            ],
          },
        ],
      };
      const r = await env.kubectl(['apply', '--server-side', '-f', '-'], JSON.stringify(webhook));
      if (r.code !== 0) throw new Error(r.stderr);
      // The API server loads webhook configurations asynchronously: wait (with dry-run creates,
      // which store nothing) until it calls the webhook.
      const deadline = Date.now() + 30_000;
      for (;;) {
        const dry = await env.api('POST', '/api/v1/namespaces/shop/pods?dryRun=All', pod('shop'));
        if (containerNames(dry.body).includes('weft-proxy')) break;
        if (Date.now() > deadline)
          throw new Error(`the API server never called the webhook: ${JSON.stringify(dry.body)}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }, 120_000);

    afterAll(async () => {
      if (injector !== undefined && injector.exitCode === null) {
        const exited = new Promise((resolve) => injector?.once('exit', resolve));
        injector.kill('SIGTERM');
        await exited;
      }
      await env?.close();
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    });

    it('injects the proxy into a Pod created in an annotated namespace', async () => {
      const created = await env.api('POST', '/api/v1/namespaces/shop/pods', pod('shop'));
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const spec = created.body.spec;
      const names = [...(spec.initContainers ?? []), ...spec.containers].map((c: { name: string }) => c.name);
      expect(names).toContain('weft-proxy');
      expect(names).toContain('weft-init');
      expect(names).toContain('web');
      expect(Object.keys(created.body.metadata.annotations ?? {})).toContain('weft.dev/injected-version');
      const proxy = [...(spec.initContainers ?? []), ...spec.containers].find(
        (c: { name: string }) => c.name === 'weft-proxy',
      );
      expect(proxy.image).toBe('weft:envtest');
    });

    it('leaves a Pod in a namespace without the annotation alone', async () => {
      const created = await env.api('POST', '/api/v1/namespaces/plain/pods', pod('plain'));
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      expect(created.body.spec.containers.map((c: { name: string }) => c.name)).toEqual(['web']);
      expect(created.body.spec.initContainers).toBeUndefined();
    });
  },
);
