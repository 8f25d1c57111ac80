import { createIdentityMaterial, derToPem, parseCertificate } from '@weft/pki';
import { describe, expect, it } from 'vitest';
import { pkiIssuer } from '../install/pki-issuer.js';
import { DAY_MS, expiryCheck, parsePemCertificates, verifyServingChain } from './certificates.js';

const ca = pkiIssuer.createCa({ trustDomain: 'cluster.local' });
const serving = pkiIssuer.issueServing({
  ca,
  trustDomain: 'cluster.local',
  identity: 'spiffe://cluster.local/ns/weft-system/sa/weft-injector',
  dnsNames: ['weft-injector.weft-system.svc'],
  lifetimeMs: 90 * DAY_MS,
});
const chain = parsePemCertificates(serving.chainPem, 'chain');
const anchors = parsePemCertificates(ca.caCrt, 'ca.crt');
const leaf = chain[0] as ReturnType<typeof parseCertificate>;
const remedy = 'renew it';

describe('expiryCheck', () => {
  it('is ok well before expiry and names the date', () => {
    const r = expiryCheck('c', [leaf], { now: leaf.notAfter - 60 * DAY_MS, remedy });
    expect(r).toEqual({
      name: 'c',
      status: 'ok',
      detail: `expires ${new Date(leaf.notAfter).toISOString().replace('.000Z', 'Z')}, in 60 days`,
    });
  });

  it('warns within 30 days, or fails when asked to', () => {
    const now = leaf.notAfter - 12 * DAY_MS - 1000;
    const warned = expiryCheck('c', [leaf], { now, remedy });
    expect(warned.status).toBe('warn');
    expect(warned.status !== 'ok' && warned.hint).toMatch(
      /^expires in 12 days \(.*\), within 30 days\. renew it$/,
    );
    expect(expiryCheck('c', [leaf], { now, remedy, failInsideMargin: true }).status).toBe('fail');
  });

  it('fails an expired or not yet valid certificate, and an empty list', () => {
    const expired = expiryCheck('c', [leaf], { now: leaf.notAfter + 1, remedy });
    expect(expired.status === 'fail' && expired.hint).toMatch(/^expired on \d{4}-.*\. renew it$/);
    const early = expiryCheck('c', [leaf], { now: leaf.notBefore - DAY_MS, remedy });
    expect(early.status === 'fail' && early.hint).toContain('not valid before');
    expect(expiryCheck('c', [], { now: 0, remedy }).status).toBe('fail');
  });

  it('judges the certificate that expires first', () => {
    // The chain holds the 90-day leaf and the 1-year issuer.
    const r = expiryCheck('c', chain, { now: leaf.notAfter - 5 * DAY_MS, remedy });
    expect(r.status).toBe('warn');
  });
});

describe('verifyServingChain', () => {
  it('accepts a chain that leads to the anchor and names the service', () => {
    expect(verifyServingChain(chain, anchors, 'weft-injector.weft-system.svc')).toMatchObject({
      type: 'valid',
    });
  });

  it('refuses another DNS name', () => {
    const r = verifyServingChain(chain, anchors, 'other.weft-system.svc');
    expect(r).toEqual({
      type: 'invalid',
      reason: 'the serving certificate is for weft-injector.weft-system.svc, not other.weft-system.svc',
    });
  });

  it('refuses a chain from another CA, and a chain out of order', () => {
    const other = createIdentityMaterial({
      trustDomain: 'cluster.local',
      anchorValidityMs: DAY_MS,
      issuerValidityMs: DAY_MS,
    });
    const otherAnchor = [parseCertificate(other.anchor.certificate)];
    const foreign = verifyServingChain(chain, otherAnchor, 'weft-injector.weft-system.svc');
    expect(foreign.type === 'invalid' && foreign.reason).toContain("does not lead to the webhook's caBundle");
    const swapped = [leaf, parseCertificate(other.issuer.certificate)];
    const broken = verifyServingChain(swapped, anchors, 'weft-injector.weft-system.svc');
    expect(broken.type === 'invalid' && broken.reason).toBe(
      'certificate 1 of the chain is not signed by certificate 2',
    );
  });
});

describe('parsePemCertificates', () => {
  it('names the source of a bad certificate', () => {
    const bad = derToPem(Buffer.from('not a certificate'), 'CERTIFICATE');
    expect(() => parsePemCertificates(bad, 'Secret weft-trust-anchor ca.crt')).toThrow(
      /^Secret weft-trust-anchor ca\.crt: /,
    );
  });
});
