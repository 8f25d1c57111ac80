import { createPrivateKey, X509Certificate } from 'node:crypto';
import { request } from 'node:https';
import { ManualClock, seededRandom } from '@weft/core';
import { CertificateAuthority, createIdentityMaterial, derToPem, TrustBundle } from '@weft/pki';
import { silentLogger } from '@weft/runtime';
import { describe, expect, it } from 'vitest';
import { InjectorMetrics } from './metrics.js';
import { createReviewHandler } from './review-handler.js';
import { startWebhookServer } from './server.js';
import { parseInjectorConfig } from './settings.js';
import { startIssuedTls } from './tls-issued.js';

const ID = 'spiffe://cluster.local/ns/weft-system/sa/weft-injector';
const DNS = ['weft-injector.weft-system.svc', 'weft-injector.weft-system.svc.cluster.local'];

function issuer(clock: ManualClock) {
  const material = createIdentityMaterial({
    trustDomain: 'cluster.local',
    anchorValidityMs: 10 * 365 * 86_400_000,
    issuerValidityMs: 365 * 86_400_000,
    clock,
  });
  const ca = new CertificateAuthority({
    trustDomain: 'cluster.local',
    issuer: material.issuer,
    trustAnchors: TrustBundle.fromDer([material.anchor.certificate]),
    clock,
  });
  return { ca, anchorPem: derToPem(material.anchor.certificate, 'CERTIFICATE') };
}

describe('serving certificate from the weft issuer', () => {
  it('issues a leaf for the service names, chained to the issuer, and renews it at about half its life', () => {
    const clock = new ManualClock(Date.now());
    const { ca } = issuer(clock);
    const changes: string[] = [];
    const renewals: boolean[] = [];
    const tls = startIssuedTls({
      ca,
      identity: ID,
      dnsNames: DNS,
      clock,
      random: seededRandom(1),
      logger: silentLogger(),
      onChange: (m) => changes.push(String(m.cert)),
      onRenew: (r) => renewals.push(r.ok),
    });
    const [leafPem, issuerPem] = String(tls.initial.material.cert).split(/(?<=-----END CERTIFICATE-----\n)/);
    const leaf = new X509Certificate(leafPem!);
    expect(leaf.subjectAltName).toContain('DNS:weft-injector.weft-system.svc');
    expect(leaf.subjectAltName).toContain(`URI:${ID}`);
    expect(leaf.verify(new X509Certificate(issuerPem!).publicKey)).toBe(true);
    expect(leaf.checkPrivateKey(createPrivateKey(String(tls.initial.material.key)))).toBe(true);

    const lifetime = tls.initial.notAfter - clock.now();
    clock.advance(lifetime * 0.39);
    expect(changes).toHaveLength(0);
    clock.advance(lifetime * 0.22);
    expect(renewals).toEqual([true]);
    expect(changes).toHaveLength(1);
    expect(
      new X509Certificate(changes[0]!.split(/(?<=-----END CERTIFICATE-----\n)/)[0]!).serialNumber,
    ).not.toBe(leaf.serialNumber);
    tls.close();
    expect(clock.pending).toBe(0);
  });

  it('keeps the current certificate and retries when renewal fails', () => {
    const clock = new ManualClock(Date.now());
    const { ca } = issuer(clock);
    let fail = false;
    const flaky = {
      issueForKey: (req: Parameters<typeof ca.issueForKey>[0]) => {
        if (fail) throw new Error('issuer expired');
        return ca.issueForKey(req);
      },
    };
    const renewals: unknown[] = [];
    const tls = startIssuedTls({
      ca: flaky,
      identity: ID,
      dnsNames: DNS,
      clock,
      random: seededRandom(2),
      logger: silentLogger(),
      onChange: () => {},
      onRenew: (r) => renewals.push(r),
    });
    fail = true;
    clock.advance(tls.initial.notAfter - clock.now());
    expect(renewals).toContainEqual({ ok: false, error: 'issuer expired' });
    fail = false;
    clock.advance(60_000);
    expect(renewals.at(-1)).toMatchObject({ ok: true });
    tls.close();
  });

  it('serves the webhook with it: a client trusting only the trust anchor connects by service name', async () => {
    const clock = new ManualClock(Date.now());
    const { ca, anchorPem } = issuer(clock);
    const tls = startIssuedTls({
      ca,
      identity: ID,
      dnsNames: DNS,
      clock,
      logger: silentLogger(),
      onChange: () => {},
    });
    const metrics = new InjectorMetrics();
    const handler = createReviewHandler({
      config: parseInjectorConfig(),
      namespaces: { get: async () => ({ type: 'unknown', message: 'none' }) },
      metrics,
      logger: silentLogger(),
      clock,
    });
    const server = await startWebhookServer({
      handler,
      metrics,
      logger: silentLogger(),
      tls: tls.initial.material,
      host: '127.0.0.1',
      port: 0,
    });
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port: server.address.port,
            path: '/healthz',
            ca: anchorPem,
            servername: DNS[0],
            agent: false,
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end();
      });
      expect(status).toBe(200);
    } finally {
      tls.close();
      await server.close();
    }
  });
});
