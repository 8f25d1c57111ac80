import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, Server, type ServiceError, status } from '@grpc/grpc-js';
import { type CertifyResponse__Output, loadIdentityProto } from '@weft/api';
import {
  createCsr,
  createIdentityMaterial,
  createJoinToken,
  generateKeyPair,
  writeIdentityDir,
} from '@weft/pki';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { loadControlPlaneIdentity } from './control-plane-identity.js';

const root = mkdtempSync(join(tmpdir(), 'weft-cpid-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('loadControlPlaneIdentity', () => {
  it('serves Certify from an identity folder with join tokens, and refuses Kubernetes tokens without a kubeconfig', async () => {
    const material = createIdentityMaterial({
      trustDomain: 'example.org',
      anchorValidityMs: 86400_000 * 30,
      issuerValidityMs: 86400_000 * 7,
    });
    await writeIdentityDir(root, material, { force: true });
    const identity = await loadControlPlaneIdentity({ identityDir: root, leafLifetimeMs: 3600_000 });
    const server = new Server();
    const registry = new Registry();
    identity.register(server, { registry });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', identity.serving.credentials, (e, p) => (e ? reject(e) : resolve(p))),
    );
    const Identity = loadIdentityProto().weft.identity.v1alpha1.Identity;
    const client = new Identity(
      `127.0.0.1:${port}`,
      credentials.createSsl(Buffer.from(identity.loaded.trustAnchors.toPem())),
      {
        'grpc.ssl_target_name_override': 'weft-control-plane.weft-system.svc',
      },
    );
    const call = (token: string) =>
      new Promise<CertifyResponse__Output | ServiceError>((resolve) =>
        client.Certify({ token, csr: createCsr({ privateKey: generateKeyPair().privateKey }) }, (err, res) =>
          resolve(err ?? (res as CertifyResponse__Output)),
        ),
      );
    try {
      const token = await createJoinToken({
        key: material.tokenKey,
        trustDomain: 'example.org',
        namespace: 'ns',
        serviceAccount: 'sa',
        ttlMs: 60_000,
        now: Date.now(),
      });
      const ok = (await call(token)) as CertifyResponse__Output;
      expect(ok.identity).toBe('spiffe://example.org/ns/ns/sa/sa');
      expect(Number(ok.validUntil?.seconds) * 1000 - Date.now()).toBeLessThanOrEqual(3600_000);
      const refused = (await call('eyJhbGciOiJSUzI1NiJ9.e30.sig')) as ServiceError;
      expect(refused.code).toBe(status.UNAUTHENTICATED);
      expect(refused.details).toMatch(/does not accept Kubernetes tokens/);
      expect(identity.callerIdentity({ getAuthContext: () => null })).toMatchObject({
        type: 'invalid',
        reason: 'empty-chain',
      });
      expect(await registry.metrics()).toMatch(/weft_identity_certificates_issued_total 1/);
    } finally {
      client.close();
      identity.close();
      server.forceShutdown();
    }
  });
});
