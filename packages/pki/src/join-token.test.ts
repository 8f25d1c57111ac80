import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createJoinToken, generateTokenKey, verifyJoinToken } from './join-token.js';

const key = generateTokenKey();
const now = Date.UTC(2026, 5, 1);
const base = {
  key,
  trustDomain: 'cluster.local',
  namespace: 'shop',
  serviceAccount: 'web',
  ttlMs: 3600_000,
  now,
};
const policy = { key, trustDomain: 'cluster.local', now };

describe('join tokens', () => {
  it('round-trips the identity', () => {
    const result = verifyJoinToken(createJoinToken(base), policy);
    expect(result).toMatchObject({
      type: 'ok',
      claims: { aud: 'weft', namespace: 'shop', serviceAccount: 'web', exp: now / 1000 + 3600 },
    });
  });

  it.each([
    ['garbage', () => 'garbage', 'malformed'],
    ['an empty token', () => '', 'malformed'],
    ['a JWT', () => 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln', 'malformed'],
    ['an oversized token', () => `weft1.${'a'.repeat(5000)}.b`, 'malformed'],
    ['an expired token', () => createJoinToken({ ...base, now: now - 2 * 3600_000 }), 'expired'],
    ['a token from the future', () => createJoinToken({ ...base, now: now + 3600_000 }), 'not-yet-valid'],
    [
      'a token for another audience',
      () => createJoinToken({ ...base, audience: 'kubernetes' }),
      'wrong-audience',
    ],
    [
      'a token for another trust domain',
      () => createJoinToken({ ...base, trustDomain: 'other.domain' }),
      'wrong-trust-domain',
    ],
    [
      'a token signed by a rotated key',
      () => createJoinToken({ ...base, key: generateTokenKey() }),
      'bad-signature',
    ],
    [
      'a token with edited claims',
      () => {
        const [p, , s] = createJoinToken(base).split('.');
        const claims = Buffer.from(JSON.stringify({ aud: 'weft', namespace: 'kube-system' })).toString(
          'base64url',
        );
        return `${p}.${claims}.${s}`;
      },
      'bad-signature',
    ],
  ])('rejects %s', (_label, token, reason) => {
    expect(verifyJoinToken(token(), policy)).toMatchObject({ type: 'rejected', reason });
  });

  it('refuses a key that is not Ed25519 and a TTL under a second', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
    expect(() => createJoinToken({ ...base, key: ec })).toThrow(/Ed25519/);
    expect(() => createJoinToken({ ...base, ttlMs: 0 })).toThrow(/TTL/);
  });
});
