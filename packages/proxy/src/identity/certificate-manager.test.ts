import { once } from 'node:events';
import { ManualClock, seededRandom } from '@weft/core';
import { CertificateAuthority, createIssuer, createTrustAnchor, TrustBundle } from '@weft/pki';
import { describe, expect, it } from 'vitest';
import type { CertificateClient, CertifyClientResult } from './certificate-client.js';
import { CertificateManager, type RenewalFailure } from './certificate-manager.js';
import type { Svid } from './svid.js';

const TD = 'cluster.local';
const HOUR = 3600_000;

/** A CertificateClient backed by a real CA in-process; `down` makes it fail like a dead server. */
function fakeControlPlane(clock: ManualClock) {
  const anchor = createTrustAnchor({ trustDomain: TD, validityMs: 1000 * HOUR, clock });
  const issuer = createIssuer({ trustDomain: TD, validityMs: 100 * HOUR, anchor, clock });
  const ca = new CertificateAuthority({
    trustDomain: TD,
    issuer,
    trustAnchors: TrustBundle.fromDer([anchor.certificate]),
    clock,
    defaultLifetimeMs: HOUR,
  });
  const state = {
    down: false,
    identity: 'spiffe://cluster.local/ns/shop/sa/web',
    calls: 0,
    tokens: [] as string[],
  };
  const client: CertificateClient = {
    async certify({ token, csr }): Promise<CertifyClientResult> {
      state.calls++;
      state.tokens.push(token);
      if (state.down) return { type: 'failed', code: 14, reason: 'transport', message: 'connection refused' };
      const r = ca.issue({ csr, identity: state.identity });
      if (r.type === 'rejected') return { type: 'failed', code: 3, reason: r.reason, message: r.message };
      return {
        type: 'issued',
        reply: { identity: state.identity, chain: r.certificate.chain, trustAnchors: ca.trustAnchors.ders() },
      };
    },
    close() {},
  };
  return { client, state };
}

describe('CertificateManager', () => {
  it('renews between 40% and 60% of the lifetime with a fresh key and the current token', async () => {
    const clock = new ManualClock(Math.floor(Date.now() / 1000) * 1000);
    const { client, state } = fakeControlPlane(clock);
    let n = 0;
    const manager = new CertificateManager({
      client,
      token: async () => `t${++n}`,
      trustDomain: TD,
      clock,
      random: seededRandom(3),
    });
    const started = manager.start();
    clock.advance(0);
    const first = await started;
    expect(manager.secondsToExpiry()).toBe(3600);
    clock.advance(0.4 * HOUR - 1000);
    expect(state.calls).toBe(1);
    const next = once(manager, 'rotated');
    clock.advance(0.2 * HOUR + 1000);
    const [second, previous] = (await next) as [Svid, Svid];
    expect(previous).toBe(first);
    expect(second.tls.key).not.toBe(first.tls.key);
    expect(state.tokens).toEqual(['t1', 't2']);
    manager.close();
    expect(clock.pending).toBe(0);
  });

  it('keeps the current certificate through failures, backing off with jitter up to the max', async () => {
    const clock = new ManualClock(Math.floor(Date.now() / 1000) * 1000);
    const { client, state } = fakeControlPlane(clock);
    const manager = new CertificateManager({
      client,
      token: async () => 't',
      trustDomain: TD,
      clock,
      random: seededRandom(9),
      backoff: { baseMs: 1000, maxMs: 8000 },
    });
    const started = manager.start();
    clock.advance(0);
    const first = await started;
    state.down = true;
    const failures: RenewalFailure[] = [];
    manager.on('renewal-failed', (f) => failures.push(f));
    let failed = once(manager, 'renewal-failed');
    clock.advance(0.6 * HOUR);
    await failed;
    for (let i = 0; i < 5; i++) {
      failed = once(manager, 'renewal-failed');
      clock.advance(failures[failures.length - 1]!.retryInMs);
      await failed;
    }
    expect(failures.map((f) => f.attempt)).toEqual([1, 2, 3, 4, 5, 6]);
    const nominal = [1000, 2000, 4000, 8000, 8000, 8000];
    // Full jitter: each wait is uniform in [0, its ceiling].
    failures.forEach((f, i) => {
      expect(f.retryInMs).toBeGreaterThanOrEqual(0);
      expect(f.retryInMs).toBeLessThanOrEqual(nominal[i]!);
    });
    expect(manager.current()).toBe(first);

    state.down = false;
    const rotated = once(manager, 'rotated');
    clock.advance(failures[failures.length - 1]!.retryInMs);
    const [recovered] = (await rotated) as [Svid];
    expect(recovered.serialHex).not.toBe(first.serialHex);
    manager.close();
  });

  it('refuses a chain for the wrong trust domain and keeps retrying', async () => {
    const clock = new ManualClock(Math.floor(Date.now() / 1000) * 1000);
    const { client } = fakeControlPlane(clock);
    const manager = new CertificateManager({
      client,
      token: async () => 't',
      trustDomain: 'other.domain',
      clock,
    });
    const failed = once(manager, 'renewal-failed');
    void manager.start().catch(() => undefined);
    clock.advance(0);
    const [failure] = (await failed) as [RenewalFailure];
    expect(failure.reason).toBe('bad-chain-trust-domain-mismatch');
    expect(manager.current()).toBeUndefined();
    manager.close();
  });

  it('reports an unreadable token as a failure', async () => {
    const clock = new ManualClock(Math.floor(Date.now() / 1000) * 1000);
    const { client } = fakeControlPlane(clock);
    const manager = new CertificateManager({
      client,
      token: () => Promise.reject(new Error('ENOENT: token file')),
      trustDomain: TD,
      clock,
    });
    const failed = once(manager, 'renewal-failed');
    void manager.start().catch(() => undefined);
    clock.advance(0);
    expect(((await failed) as [RenewalFailure])[0]).toMatchObject({
      reason: 'token-unreadable',
      message: /ENOENT/,
    });
    manager.close();
  });
});
