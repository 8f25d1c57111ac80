import { ManualClock } from '@weft/core';
import {
  CertificateAuthority,
  createCsr,
  createIssuer,
  createTrustAnchor,
  generateKeyPair,
  TrustBundle,
} from '@weft/pki';
import { describe, expect, it } from 'vitest';
import { Certifier } from './certifier.js';
import type { TokenValidator } from './token-validator.js';

const HOUR = 3600_000;
const clock = new ManualClock(Date.now());
const anchor = createTrustAnchor({ trustDomain: 'cluster.local', validityMs: 100 * HOUR, clock });
const makeCa = (validityMs: number) =>
  new CertificateAuthority({
    trustDomain: 'cluster.local',
    issuer: createIssuer({ trustDomain: 'cluster.local', validityMs, anchor, clock }),
    trustAnchors: TrustBundle.fromDer([anchor.certificate]),
    clock,
    defaultLifetimeMs: HOUR / 2,
  });
const as = (namespace: string, serviceAccount: string): TokenValidator => ({
  validate: async () => ({ type: 'authenticated', namespace, serviceAccount }),
});
const csr = () => createCsr({ privateKey: generateKeyPair().privateKey });

describe('Certifier', () => {
  it('does not sign for a caller gone while it waited, nor queue one past what is left of its deadline', async () => {
    const certifier = new Certifier({
      ca: makeCa(10 * HOUR),
      validator: as('shop', 'web'),
      clock,
      pace: { perSecond: 10, burst: 1, maxWaitMs: 5000 },
    });
    expect(await certifier.certify({ token: 't', csr: csr() })).toMatchObject({ type: 'issued' });
    // The next slot is 100 ms away: a caller with 50 ms left is refused at once.
    expect(await certifier.certify({ token: 't', csr: csr(), waitLimitMs: 50 })).toMatchObject({
      type: 'failed',
      reason: 'ca-busy',
    });
    const gone = new AbortController();
    const waiting = certifier.certify({ token: 't', csr: csr(), signal: gone.signal, waitLimitMs: 1000 });
    await new Promise((r) => setImmediate(r));
    gone.abort();
    clock.advance(100);
    expect(await waiting).toMatchObject({ type: 'failed', code: 'DEADLINE_EXCEEDED', reason: 'caller-gone' });
  });

  it('paces issuance across identities: past the burst and the longest wait, RESOURCE_EXHAUSTED ca-busy', async () => {
    let n = 0;
    const validator: TokenValidator = {
      validate: async () => ({ type: 'authenticated', namespace: 'shop', serviceAccount: `sa-${n++}` }),
    };
    const certifier = new Certifier({
      ca: makeCa(10 * HOUR),
      validator,
      clock,
      pace: { perSecond: 1, burst: 2, maxWaitMs: 0 },
    });
    const outcomes = [];
    for (let i = 0; i < 3; i++) outcomes.push(await certifier.certify({ token: 't', csr: csr() }));
    expect(outcomes.map((o) => o.type)).toEqual(['issued', 'issued', 'failed']);
    expect(outcomes[2]).toMatchObject({ code: 'RESOURCE_EXHAUSTED', reason: 'ca-busy' });
    clock.advance(1000);
    expect(await certifier.certify({ token: 't', csr: csr() })).toMatchObject({ type: 'issued' });
  });

  it('refuses identities that would smuggle path segments into the SPIFFE ID', async () => {
    for (const [ns, sa] of [
      ['a/sa/admin', 'x'],
      ['shop', 'web/extra'],
      ['', 'web'],
    ] as const) {
      const outcome = await new Certifier({ ca: makeCa(10 * HOUR), validator: as(ns, sa), clock }).certify({
        token: 't',
        csr: csr(),
      });
      expect(outcome).toMatchObject({ type: 'failed', code: 'UNAUTHENTICATED', reason: 'bad-identity' });
    }
  });

  it('says FAILED_PRECONDITION once the issuer has expired, and issues again after replaceAuthority', async () => {
    const certifier = new Certifier({ ca: makeCa(HOUR), validator: as('shop', 'web'), clock });
    expect((await certifier.certify({ token: 't', csr: csr() })).type).toBe('issued');
    clock.advance(2 * HOUR);
    expect(await certifier.certify({ token: 't', csr: csr() })).toMatchObject({
      type: 'failed',
      code: 'FAILED_PRECONDITION',
      reason: 'issuer-expired',
    });
    certifier.replaceAuthority(makeCa(10 * HOUR));
    const outcome = await certifier.certify({ token: 't', csr: csr() });
    expect(outcome.type === 'issued' && outcome.certificate.identity).toBe(
      'spiffe://cluster.local/ns/shop/sa/web',
    );
  });
});
