import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PeerCertificate } from 'node:tls';
import { ManualClock, systemClock } from '@weft/core';
import { silentLogger } from '@weft/runtime';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type FakeKubeApi,
  fakeKubeConfig,
  startFakeKubeApi,
} from '../../../test/fixtures/injector/fake-kube-api.js';
import { InjectorMetrics } from './metrics.js';
import { NamespaceCache } from './namespace-cache.js';
import { createReviewHandler } from './review-handler.js';
import { startWebhookServer, type WebhookServer } from './server.js';
import { parseInjectorConfig } from './settings.js';
import { readTlsFiles, watchTlsFiles } from './tls-files.js';

function makeCert(dir: string, name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      `/CN=${name}`,
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  return { cert, key };
}

interface Reply {
  status: number;
  json: any;
  peer: PeerCertificate;
}

let dir: string;
let ca: string[];
let api: FakeKubeApi;
let cache: NamespaceCache;
let server: WebhookServer;
let metrics: InjectorMetrics;
let closeWatch: () => void;
const reloads: { ok: boolean }[] = [];
let onReload: (() => void) | undefined;

function call(method: string, path: string, body?: Buffer | string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: server.address.port,
        method,
        path,
        ca,
        servername: 'localhost',
        agent: false,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let json: unknown = text;
          try {
            json = JSON.parse(text);
          } catch {
            /* metrics are text */
          }
          resolve({ status: res.statusCode ?? 0, json, peer: (res.socket as any).getPeerCertificate() });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function review(overrides: Record<string, unknown> = {}, apiVersion = 'admission.k8s.io/v1', pod?: unknown) {
  return JSON.stringify({
    apiVersion,
    kind: 'AdmissionReview',
    request: {
      uid: '705ab4f5-6393-11e8-b7cc-42010a800002',
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      namespace: 'shop',
      operation: 'CREATE',
      userInfo: { username: 'system:serviceaccount:kube-system:replicaset-controller' },
      object: pod ?? {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { generateName: 'web-' },
        spec: { containers: [{ name: 'web', image: 'web:1', ports: [{ containerPort: 8080 }] }] },
      },
      dryRun: false,
      ...overrides,
    },
  });
}

const decodePatch = (r: Reply) => JSON.parse(Buffer.from(r.json.response.patch, 'base64').toString());

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'weft-webhook-'));
  const first = makeCert(dir, 'first');
  renameSync(first.cert, join(dir, 'tls.crt'));
  renameSync(first.key, join(dir, 'tls.key'));
  ca = [readFileSync(join(dir, 'tls.crt'), 'utf8')];
  api = await startFakeKubeApi([
    { name: 'shop', annotations: { 'weft.dev/inject': 'enabled' } },
    { name: 'plain' },
    { name: 'kube-system' },
  ]);
  metrics = new InjectorMetrics();
  cache = new NamespaceCache({
    kubeConfig: fakeKubeConfig(api.url),
    clock: systemClock,
    logger: silentLogger(),
    metrics,
  });
  await cache.start();
  const config = parseInjectorConfig({ injector: { image: 'weft:test', version: 'test' } });
  const handler = createReviewHandler({
    config,
    namespaces: cache,
    metrics,
    logger: silentLogger(),
    clock: systemClock,
  });
  server = await startWebhookServer({
    handler,
    metrics,
    logger: silentLogger(),
    host: '127.0.0.1',
    port: 0,
    tls: await readTlsFiles(join(dir, 'tls.crt'), join(dir, 'tls.key')),
    ready: () => cache.synced,
  });
  const watcher = watchTlsFiles({
    certFile: join(dir, 'tls.crt'),
    keyFile: join(dir, 'tls.key'),
    intervalMs: 20,
    logger: silentLogger(),
    onChange: (tls) => server.setCertificate(tls),
    onReload: (r) => {
      reloads.push(r);
      onReload?.();
    },
  });
  closeWatch = () => watcher.close();
});

afterAll(async () => {
  closeWatch?.();
  await server?.close();
  await cache?.close();
  await api?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the HTTPS webhook', () => {
  it('injects a pod of an enabled namespace (admission.k8s.io/v1)', async () => {
    expect(cache.synced).toBe(true);
    const r = await call('POST', '/inject', review());
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: {
        uid: '705ab4f5-6393-11e8-b7cc-42010a800002',
        allowed: true,
        patchType: 'JSONPatch',
        auditAnnotations: { 'inject-result': 'injected', 'inject-reason': 'namespace-enabled' },
      },
    });
    expect(r.json.response.warnings).toBeUndefined();
    const patch = decodePatch(r);
    expect(patch[0].path).toBe('/spec/initContainers');
    expect(patch[0].value.map((c: any) => c.name)).toEqual(['weft-init', 'weft-proxy']);
  });

  it('answers an admission.k8s.io/v1beta1 review in kind', async () => {
    const r = await call('POST', '/inject', review({}, 'admission.k8s.io/v1beta1'));
    expect(r.status).toBe(200);
    expect(r.json.apiVersion).toBe('admission.k8s.io/v1beta1');
    expect(r.json.response.patchType).toBe('JSONPatch');
  });

  it('allows a pod of a plain namespace unchanged, quietly, with the reason audited', async () => {
    const r = await call('POST', '/inject', review({ namespace: 'plain' }));
    expect(r.json.response).toEqual({
      uid: '705ab4f5-6393-11e8-b7cc-42010a800002',
      allowed: true,
      auditAnnotations: { 'inject-result': 'skipped', 'inject-reason': 'not-enabled' },
    });
  });

  it('warns when an opted-in pod cannot be injected', async () => {
    const pod = {
      metadata: { name: 'dns', annotations: { 'weft.dev/inject': 'enabled' } },
      spec: { containers: [{ name: 'c' }] },
    };
    const r = await call('POST', '/inject', review({ namespace: 'kube-system' }, undefined, pod));
    expect(r.json.response.allowed).toBe(true);
    expect(r.json.response.patch).toBeUndefined();
    expect(r.json.response.warnings[0]).toMatch(/not injected: pods in namespace kube-system/);
  });

  it('reads a namespace the cache has not seen yet from the API', async () => {
    api.upsert({ name: 'fresh', annotations: { 'weft.dev/inject': 'enabled' } }, { silent: true });
    const reads = api.counts.reads;
    const r = await call('POST', '/inject', review({ namespace: 'fresh' }));
    expect(r.json.response.patchType).toBe('JSONPatch');
    expect(api.counts.reads).toBe(reads + 1);
    const gone = await call('POST', '/inject', review({ namespace: 'nowhere' }));
    expect(gone.json.response.allowed).toBe(true);
    expect(gone.json.response.warnings[0]).toMatch(/namespace nowhere could not be read \(not found\)/);
  });

  it('follows namespace annotation changes through the watch', async () => {
    api.upsert({ name: 'plain', annotations: { 'weft.dev/inject': 'enabled' } });
    await vi.waitFor(async () => {
      expect((await cache.get('plain')).type === 'found' && ((await cache.get('plain')) as any).source).toBe(
        'cache',
      );
      const r = await call('POST', '/inject', review({ namespace: 'plain' }));
      expect(r.json.response.patchType).toBe('JSONPatch');
    });
    api.upsert({ name: 'plain' });
  });

  it('answers a dry run with the same patch and no side effects beyond a labeled count', async () => {
    const wet = await call('POST', '/inject', review());
    const before = (await metrics.reviews.get()).values.filter((v) => v.labels.dry_run === 'false');
    const dry = await call('POST', '/inject', review({ dryRun: true }));
    expect(dry.json.response.patch).toBe(wet.json.response.patch);
    const after = (await metrics.reviews.get()).values.filter((v) => v.labels.dry_run === 'false');
    expect(after).toEqual(before);
  });

  it('ignores operations other than pod CREATE', async () => {
    const r = await call('POST', '/inject', review({ operation: 'UPDATE' }));
    expect(r.json.response).toEqual({ uid: '705ab4f5-6393-11e8-b7cc-42010a800002', allowed: true });
  });

  it.each([
    ['not-json', '{"apiVersion":'],
    ['wrong-kind', JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'Pod', request: { uid: 'x' } })],
    ['wrong-kind', '[1,2]'],
    [
      'wrong-version',
      JSON.stringify({ apiVersion: 'admission.k8s.io/v2', kind: 'AdmissionReview', request: { uid: 'x' } }),
    ],
    ['missing-request', JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' })],
    ['missing-uid', review({ uid: '' })],
    ['missing-uid', review({ uid: 42 })],
    ['invalid-request', review({ kind: 'Pod' })],
    ['too-large', review({ padding: 'x'.repeat(1024 * 1024) })],
  ])('answers 400 %s with a JSON reason, and keeps serving', async (reason, body) => {
    const r = await call('POST', '/inject', body);
    expect(r.status).toBe(400);
    expect(r.json.reason).toBe(reason);
    expect(r.json.message.length).toBeGreaterThan(5);
    expect((await call('POST', '/inject', review())).status).toBe(200);
  });

  it('serves /healthz, /metrics and a JSON 404', async () => {
    expect((await call('GET', '/healthz')).json).toEqual({ status: 'ok', namespacesSynced: true });
    const m = await call('GET', '/metrics');
    expect(m.json).toMatch(
      /weft_injector_reviews_total\{outcome="injected",reason="namespace-enabled",dry_run="false"\} \d+/,
    );
    expect(m.json).toMatch(/weft_injector_bad_requests_total\{reason="too-large"\} 1/);
    expect(m.json).toMatch(/weft_injector_review_duration_seconds_count \d+/);
    expect((await call('GET', '/nope')).status).toBe(404);
  });

  it('reloads the serving certificate when its files change, and keeps it when they are bad', async () => {
    const oldFingerprint = (await call('GET', '/healthz')).peer.fingerprint256;
    // A key that does not match: rejected, the old certificate keeps serving.
    const other = makeCert(dir, 'other');
    let reloaded = new Promise<void>((r) => {
      onReload = r;
    });
    writeFileSync(join(dir, 'tls.key'), readFileSync(other.key));
    await reloaded;
    expect(reloads.at(-1)).toMatchObject({ ok: false });
    expect((await call('GET', '/healthz')).peer.fingerprint256).toBe(oldFingerprint);
    // The matching certificate arrives: served from the next connection on.
    reloaded = new Promise<void>((r) => {
      onReload = r;
    });
    writeFileSync(join(dir, 'tls.crt'), readFileSync(other.cert));
    await reloaded;
    expect(reloads.at(-1)).toMatchObject({ ok: true });
    ca = [readFileSync(other.cert, 'utf8')];
    const r = await call('GET', '/healthz');
    expect(r.peer.fingerprint256).not.toBe(oldFingerprint);
    expect(r.peer.subject.CN).toBe('other');
  });
});

describe('the namespace cache', () => {
  it('restarts the informer with backoff after a failed list', async () => {
    const clock = new ManualClock();
    const m = new InjectorMetrics();
    api.failLists(1);
    const c = new NamespaceCache({
      kubeConfig: fakeKubeConfig(api.url),
      clock,
      logger: silentLogger(),
      metrics: m,
    });
    try {
      await c.start();
      expect(c.synced).toBe(false);
      expect((await m.informerRestarts.get()).values[0]?.value).toBe(1);
      expect(clock.pending).toBe(1);
      clock.advance(60_000);
      await vi.waitFor(() => expect(c.synced).toBe(true));
      const shop = await c.get('shop');
      expect(shop).toMatchObject({
        type: 'found',
        source: 'cache',
        namespace: { annotations: { 'weft.dev/inject': 'enabled' } },
      });
    } finally {
      await c.close();
    }
  });
});
