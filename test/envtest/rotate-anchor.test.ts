// `weft identity rotate-anchor --kubernetes` on a real kube-apiserver: step 1 replaces the Secrets
// weft-trust-anchor and weft-issuer (the layout install/identity builds) with a two-anchor bundle,
// keeps the issuer, leaves the new anchor's key in the local folder only; step 2 is refused while
// no control plane can confirm that every proxy holds the new bundle.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { IdentityReloader, secretIdentitySource } from '@weft/control-plane';
import {
  createIdentityMaterial,
  derToPem,
  generateKeyPair,
  loadIdentityDir,
  privateKeyToPem,
  TrustBundle,
  writeIdentityDir,
} from '@weft/pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Envtest, envtestAssets, envtestSuiteTitle } from '../support/envtest.js';
import { runWeft } from '../support/run-weft.js';

const assets = envtestAssets();
const b64 = (s: string) => Buffer.from(s).toString('base64');

describe.skipIf(assets.type !== 'ok')(envtestSuiteTitle('rotate-anchor on Secrets', assets), () => {
  let env: Envtest;
  let dir: string;
  const material = createIdentityMaterial({
    trustDomain: 'cluster.local',
    anchorValidityMs: 10 * 86_400_000,
    issuerValidityMs: 86_400_000,
  });
  const anchorPem = derToPem(material.anchor.certificate, 'CERTIFICATE');
  const issuerPem = derToPem(material.issuer.certificate, 'CERTIFICATE');
  const issuerKeyPem = privateKeyToPem(material.issuer.privateKey);

  beforeAll(async () => {
    if (assets.type !== 'ok') return;
    env = await Envtest.start(assets);
    dir = mkdtempSync(join(tmpdir(), 'weft-rotate-k8s-'));
    await writeIdentityDir(dir, material);
    expect((await env.api('POST', '/api/v1/namespaces', { metadata: { name: 'weft-system' } })).status).toBe(
      201,
    );
    const secret = (name: string, type: string, data: Record<string, string>) =>
      env.api('POST', '/api/v1/namespaces/weft-system/secrets', {
        metadata: { name },
        type,
        data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
      });
    expect((await secret('weft-trust-anchor', 'Opaque', { 'ca.crt': anchorPem })).status).toBe(201);
    const issuer = await secret('weft-issuer', 'kubernetes.io/tls', {
      'tls.crt': issuerPem,
      'tls.key': issuerKeyPem,
      'ca.crt': anchorPem,
      'token.key': privateKeyToPem(material.tokenKey),
    });
    expect(issuer.status).toBe(201);
  }, 90_000);

  afterAll(async () => {
    await env?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  const secretText = async (name: string, key: string) => {
    const r = await env.api('GET', `/api/v1/namespaces/weft-system/secrets/${name}`);
    return Buffer.from(r.body.data[key], 'base64').toString('utf8');
  };

  it('adds the new anchor to both Secrets, keeps the issuer, and refuses step 2 without a control plane report', async () => {
    // A control plane's reloader reading the Secrets through the API (--identity-secrets).
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(env.kubeconfigPath);
    const reloaded: number[] = [];
    const reloader = new IdentityReloader({
      dir,
      initial: await loadIdentityDir(dir),
      intervalMs: 0,
      source: secretIdentitySource({ kubeConfig, namespace: 'weft-system' }),
      onReload: (identity) => reloaded.push(identity.trustAnchors.anchors.length),
    });
    await reloader.start();
    expect((await reloader.check()).type).toBe('unchanged');
    const kube = [
      '--kubernetes',
      '--kubeconfig',
      env.kubeconfigPath,
      '--identity-dir',
      dir,
      '--admin',
      'http://127.0.0.1:1',
    ];
    const step1 = await runWeft('identity', 'rotate-anchor', ...kube);
    expect(step1.stderr).toBe('');
    expect(step1.code).toBe(0);
    expect(step1.stdout).toContain('step 1 of 3 done');
    const bundle = TrustBundle.fromPem(await secretText('weft-trust-anchor', 'ca.crt'));
    expect(bundle.anchors).toHaveLength(2);
    expect(bundle.anchors[0]?.info.der.equals(material.anchor.certificate)).toBe(true);
    expect(await secretText('weft-issuer', 'ca.crt')).toBe(await secretText('weft-trust-anchor', 'ca.crt'));
    expect(await secretText('weft-issuer', 'tls.crt')).toBe(issuerPem);
    expect(await secretText('weft-issuer', 'tls.key')).toBe(issuerKeyPem);
    // The new anchor's key is in the local folder (0600), not in the cluster.
    expect(statSync(join(dir, 'ca-next.key')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, 'ca.key'), 'utf8')).toBe(privateKeyToPem(material.anchor.privateKey));
    const issuerSecret = await env.api('GET', '/api/v1/namespaces/weft-system/secrets/weft-issuer');
    expect(Object.keys(issuerSecret.body.data).sort()).toEqual(['ca.crt', 'tls.crt', 'tls.key', 'token.key']);

    // The reloader reads the new bundle from the API at its next check.
    expect((await reloader.check()).type).toBe('reloaded');
    expect(reloaded).toEqual([2]);

    const step2 = await runWeft('identity', 'rotate-anchor', ...kube);
    expect(step2.code).not.toBe(0);
    expect(step2.stderr).toContain('switch-issuer refused: http://127.0.0.1:1: cannot reach');
    expect(await secretText('weft-issuer', 'tls.crt')).toBe(issuerPem);

    // A Secret edited to a key that is not the issuer's is refused; the identity in force stays.
    const issuerSecret2 = await env.api('GET', '/api/v1/namespaces/weft-system/secrets/weft-issuer');
    issuerSecret2.body.data['tls.key'] = b64(privateKeyToPem(generateKeyPair().privateKey));
    expect(
      (await env.api('PUT', '/api/v1/namespaces/weft-system/secrets/weft-issuer', issuerSecret2.body)).status,
    ).toBe(200);
    expect((await reloader.check()).type).toBe('unchanged');
    expect(await reloader.check()).toMatchObject({ type: 'rejected', reason: 'key-mismatch' });
    expect(reloader.current().trustAnchors.anchors).toHaveLength(2);
    reloader.close();
  }, 60_000);
});
