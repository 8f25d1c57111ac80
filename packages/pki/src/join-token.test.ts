import { generateKeyPairSync } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createJoinToken, generateTokenKey, looksLikeJoinToken, verifyJoinToken } from './join-token.js';

const key = generateTokenKey();
const now = Date.UTC(2026, 5, 1);
const base = {
  key,
  trustDomain: 'cluster.local',
  namespace: 'shop',
  serviceAccount: 'web',
  services: ['web', 'shop/web-admin'],
  ttlMs: 3600_000,
  now,
};
const policy = { key, trustDomain: 'cluster.local', now };

describe('join tokens', () => {
  it('are standard JWTs (EdDSA, audience weft) carrying the identity and its services', async () => {
    const token = await createJoinToken(base);
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'EdDSA', typ: 'JWT' });
    expect(decodeJwt(token)).toMatchObject({
      iss: 'weft-join',
      aud: 'weft',
      sub: 'spiffe://cluster.local/ns/shop/sa/web',
      services: ['shop/web', 'shop/web-admin'],
      exp: now / 1000 + 3600,
    });
    expect(looksLikeJoinToken(token)).toBe(true);
    expect(await verifyJoinToken(token, policy)).toMatchObject({
      type: 'ok',
      claims: {
        aud: 'weft',
        namespace: 'shop',
        serviceAccount: 'web',
        services: ['shop/web', 'shop/web-admin'],
      },
    });
  });

  it('tells a Kubernetes token (another issuer) and garbage from a join token', async () => {
    const k8s = await new SignJWT({})
      .setProtectedHeader({ alg: 'EdDSA' })
      .setIssuer('https://kubernetes.default.svc')
      .sign(key);
    expect(looksLikeJoinToken(k8s)).toBe(false);
    expect(looksLikeJoinToken('weft1.abc.def')).toBe(false);
  });

  it.each([
    ['garbage', async () => 'garbage', 'malformed'],
    ['an empty token', async () => '', 'malformed'],
    ['an HS256 JWT', async () => 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln', 'malformed'],
    ['an oversized token', async () => `eyJ.${'a'.repeat(5000)}.b`, 'malformed'],
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
      'a token with edited claims (another service)',
      async () => {
        const [p, , s] = (await createJoinToken(base)).split('.');
        const claims = decodeJwt(await createJoinToken(base));
        const edited = Buffer.from(JSON.stringify({ ...claims, services: ['shop/payments'] })).toString(
          'base64url',
        );
        return `${p}.${edited}.${s}`;
      },
      'bad-signature',
    ],
    [
      'a validly signed token whose subject disagrees with its claims',
      () =>
        new SignJWT({ trustDomain: 'cluster.local', namespace: 'shop', serviceAccount: 'web', services: [] })
          .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT' })
          .setIssuer('weft-join')
          .setAudience('weft')
          .setSubject('spiffe://cluster.local/ns/kube-system/sa/admin')
          .setIssuedAt(now / 1000)
          .setExpirationTime(now / 1000 + 60)
          .setJti('x')
          .sign(key),
      'malformed',
    ],
  ])('rejects %s', async (_label, token, reason) => {
    expect(await verifyJoinToken(await token(), policy)).toMatchObject({ type: 'rejected', reason });
  });

  it('refuses a key that is not Ed25519, a TTL under a second, and a service of another namespace', async () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
    await expect(createJoinToken({ ...base, key: ec })).rejects.toThrow(/Ed25519/);
    await expect(createJoinToken({ ...base, ttlMs: 0 })).rejects.toThrow(/TTL/);
    await expect(createJoinToken({ ...base, services: ['bank/vault'] })).rejects.toThrow(
      /not in the token's namespace shop/,
    );
    await expect(createJoinToken({ ...base, services: ['Not A Name'] })).rejects.toThrow(
      /NAME or NAMESPACE\/NAME/,
    );
  });
});
