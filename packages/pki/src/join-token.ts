/**
 * Join tokens for local mode: `weft1.<claims>.<signature>` (base64url), Ed25519-signed with the
 * control plane's token.key. Revoked all at once by rotating the key.
 */
import { generateKeyPairSync, type KeyObject, randomBytes, sign, verify } from 'node:crypto';
import { PkiError } from './errors.js';

const PREFIX = 'weft1';
/** The audience every weft token is for. */
export const TOKEN_AUDIENCE = 'weft';
/** Tokens longer than this are not parsed. */
export const MAX_TOKEN_LENGTH = 4096;

/** What a join token asserts. Times are whole seconds since the epoch. */
export interface JoinTokenClaims {
  readonly aud: string;
  readonly trustDomain: string;
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly iat: number;
  readonly exp: number;
  /** A random id, for audit logs. */
  readonly jti: string;
}

/** Why a join token was refused (stable values). */
export type JoinTokenRejection =
  | 'malformed'
  | 'bad-signature'
  | 'expired'
  | 'not-yet-valid'
  | 'wrong-audience'
  | 'wrong-trust-domain';

/** The result of {@link verifyJoinToken}. */
export type JoinTokenResult =
  | { type: 'ok'; claims: JoinTokenClaims }
  | { type: 'rejected'; reason: JoinTokenRejection; message: string };

/** A new Ed25519 token-signing key. */
export function generateTokenKey(): KeyObject {
  return generateKeyPairSync('ed25519').privateKey;
}

/** Options for {@link createJoinToken}. */
export interface CreateJoinTokenOptions {
  readonly key: KeyObject;
  readonly trustDomain: string;
  readonly namespace: string;
  readonly serviceAccount: string;
  /** Milliseconds the token stays valid. */
  readonly ttlMs: number;
  /** The current time (ms since the epoch). */
  readonly now: number;
  /** Defaults to `weft`; other values exist only to test rejection. */
  readonly audience?: string;
}

/** Signs a join token. */
export function createJoinToken(options: CreateJoinTokenOptions): string {
  if (options.key.asymmetricKeyType !== 'ed25519' || options.key.type !== 'private') {
    throw new PkiError('INVALID_ARGUMENT', 'the token key must be an Ed25519 private key');
  }
  if (!(options.ttlMs >= 1000)) throw new PkiError('INVALID_ARGUMENT', 'token TTL must be at least 1s');
  const iat = Math.floor(options.now / 1000);
  const claims: JoinTokenClaims = {
    aud: options.audience ?? TOKEN_AUDIENCE,
    trustDomain: options.trustDomain,
    namespace: options.namespace,
    serviceAccount: options.serviceAccount,
    iat,
    exp: iat + Math.floor(options.ttlMs / 1000),
    jti: randomBytes(12).toString('base64url'),
  };
  const body = `${PREFIX}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${body}.${sign(null, Buffer.from(body), options.key).toString('base64url')}`;
}

/** What a token must satisfy. */
export interface JoinTokenPolicy {
  /** The token key (private or public Ed25519). */
  readonly key: KeyObject;
  readonly trustDomain: string;
  readonly now: number;
  /** Allowed clock difference in ms (default 20s). */
  readonly leewayMs?: number;
}

/** Verifies a join token: format, signature, audience, trust domain and validity time. Never throws. */
export function verifyJoinToken(token: string, policy: JoinTokenPolicy): JoinTokenResult {
  if (token.length > MAX_TOKEN_LENGTH) return rejected('malformed', 'token is too long');
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== PREFIX || !parts.every((p) => /^[A-Za-z0-9_-]+$/.test(p))) {
    return rejected('malformed', 'not a weft join token');
  }
  const body = `${parts[0]}.${parts[1]}`;
  let ok = false;
  try {
    ok = verify(null, Buffer.from(body), policy.key, Buffer.from(parts[2] as string, 'base64url'));
  } catch {
    ok = false;
  }
  if (!ok)
    return rejected('bad-signature', 'join token signature does not verify (forged, or the key was rotated)');
  const claims = parseClaims(parts[1] as string);
  if (claims === undefined) return rejected('malformed', 'join token claims are not valid');
  if (claims.aud !== TOKEN_AUDIENCE)
    return rejected('wrong-audience', `token is for audience ${JSON.stringify(claims.aud)}`);
  if (claims.trustDomain !== policy.trustDomain) {
    return rejected('wrong-trust-domain', `token is for trust domain ${claims.trustDomain}`);
  }
  const leeway = policy.leewayMs ?? 20_000;
  if (policy.now - leeway >= claims.exp * 1000) {
    return rejected('expired', `join token expired at ${new Date(claims.exp * 1000).toISOString()}`);
  }
  if (policy.now + leeway < claims.iat * 1000)
    return rejected('not-yet-valid', 'join token is not valid yet');
  return { type: 'ok', claims };
}

function parseClaims(encoded: string): JoinTokenClaims | undefined {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const c = value as Record<string, unknown>;
  const strings = ['aud', 'trustDomain', 'namespace', 'serviceAccount', 'jti'] as const;
  if (!strings.every((k) => typeof c[k] === 'string' && (c[k] as string).length > 0)) return undefined;
  if (!Number.isInteger(c.iat) || !Number.isInteger(c.exp)) return undefined;
  return c as unknown as JoinTokenClaims;
}

function rejected(reason: JoinTokenRejection, message: string): JoinTokenResult {
  return { type: 'rejected', reason, message };
}
