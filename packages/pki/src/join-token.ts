/**
 * Join tokens for local mode: standard JWTs (RFC 7519), EdDSA-signed with the control plane's
 * Ed25519 token.key, so `weft token create`'s output can be read with any JWT tool. They name
 * a workload identity and the services it may register. Revoked all at once by rotating the key.
 */
import { createPublicKey, generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import { decodeJwt, errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { PkiError } from './errors.js';

/** The audience every weft token is for. */
export const TOKEN_AUDIENCE = 'weft';
/** The issuer of join tokens (`iss`); tells them apart from Kubernetes ServiceAccount tokens. */
export const JOIN_TOKEN_ISSUER = 'weft-join';
/** Tokens longer than this are not parsed. */
export const MAX_TOKEN_LENGTH = 4096;
/** Services one token may name. */
export const MAX_TOKEN_SERVICES = 32;

const LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** What a join token asserts (its JWT claims). Times are whole seconds since the epoch. */
export interface JoinTokenClaims {
  readonly iss: string;
  readonly aud: string;
  /** The workload's SPIFFE ID. */
  readonly sub: string;
  readonly trustDomain: string;
  readonly namespace: string;
  readonly serviceAccount: string;
  /** Services (`namespace/name`) this identity may register as an endpoint of. */
  readonly services: readonly string[];
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
  /**
   * Services the holder may register, as `name` (in `namespace`) or `namespace/name`; none
   * means a client-only workload (it gets a certificate but registers no endpoint).
   */
  readonly services?: readonly string[];
  /** Milliseconds the token stays valid. */
  readonly ttlMs: number;
  /** The current time (ms since the epoch). */
  readonly now: number;
  /** Defaults to `weft`; other values exist only to test rejection. */
  readonly audience?: string;
}

/** `name` or `namespace/name` -> `namespace/name`; throws PkiError INVALID_ARGUMENT for anything else. */
export function canonicalService(text: string, namespace: string): string {
  const slash = text.indexOf('/');
  const ns = slash < 0 ? namespace : text.slice(0, slash);
  const name = slash < 0 ? text : text.slice(slash + 1);
  if (!LABEL.test(ns) || !LABEL.test(name)) {
    throw new PkiError('INVALID_ARGUMENT', `service ${JSON.stringify(text)} is not NAME or NAMESPACE/NAME`);
  }
  if (ns !== namespace) {
    throw new PkiError(
      'INVALID_ARGUMENT',
      `service ${JSON.stringify(text)} is not in the token's namespace ${namespace} (a workload registers only in its own)`,
    );
  }
  return `${ns}/${name}`;
}

/** Signs a join token (a JWT: EdDSA, audience `weft`). Throws PkiError INVALID_ARGUMENT for bad input. */
export async function createJoinToken(options: CreateJoinTokenOptions): Promise<string> {
  if (options.key.asymmetricKeyType !== 'ed25519' || options.key.type !== 'private') {
    throw new PkiError('INVALID_ARGUMENT', 'the token key must be an Ed25519 private key');
  }
  if (!(options.ttlMs >= 1000)) throw new PkiError('INVALID_ARGUMENT', 'token TTL must be at least 1s');
  if (!LABEL.test(options.namespace)) throw new PkiError('INVALID_ARGUMENT', 'namespace is not a DNS label');
  if (!SUBDOMAIN.test(options.serviceAccount))
    throw new PkiError('INVALID_ARGUMENT', 'service account is not a DNS subdomain');
  const services = [...new Set((options.services ?? []).map((s) => canonicalService(s, options.namespace)))];
  if (services.length > MAX_TOKEN_SERVICES)
    throw new PkiError('INVALID_ARGUMENT', `a token names at most ${MAX_TOKEN_SERVICES} services`);
  const iat = Math.floor(options.now / 1000);
  return new SignJWT({
    trustDomain: options.trustDomain,
    namespace: options.namespace,
    serviceAccount: options.serviceAccount,
    services,
  })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT' })
    .setIssuer(JOIN_TOKEN_ISSUER)
    .setAudience(options.audience ?? TOKEN_AUDIENCE)
    .setSubject(`spiffe://${options.trustDomain}/ns/${options.namespace}/sa/${options.serviceAccount}`)
    .setIssuedAt(iat)
    .setExpirationTime(iat + Math.floor(options.ttlMs / 1000))
    .setJti(randomBytes(12).toString('base64url'))
    .sign(options.key);
}

/** True when `token` is shaped like a join token (a JWT whose issuer is weft's); says nothing of its validity. */
export function looksLikeJoinToken(token: string): boolean {
  if (token.length > MAX_TOKEN_LENGTH) return false;
  try {
    return decodeJwt(token).iss === JOIN_TOKEN_ISSUER;
  } catch {
    return false;
  }
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

/** Verifies a join token: format, signature, audience, issuer, trust domain, validity time and claims. Never throws. */
export async function verifyJoinToken(token: string, policy: JoinTokenPolicy): Promise<JoinTokenResult> {
  if (token.length > MAX_TOKEN_LENGTH) return rejected('malformed', 'token is too long');
  const key = policy.key.type === 'private' ? createPublicKey(policy.key) : policy.key;
  let payload: Record<string, unknown>;
  try {
    const verified = await jwtVerify(token, key, {
      algorithms: ['EdDSA'],
      issuer: JOIN_TOKEN_ISSUER,
      audience: TOKEN_AUDIENCE,
      currentDate: new Date(policy.now),
      clockTolerance: Math.ceil((policy.leewayMs ?? 20_000) / 1000),
      requiredClaims: ['exp', 'iat', 'sub', 'jti'],
      typ: 'JWT',
    });
    payload = verified.payload as Record<string, unknown>;
  } catch (err) {
    return rejectionOf(err);
  }
  const iat = payload.iat as number;
  if (policy.now + (policy.leewayMs ?? 20_000) < iat * 1000)
    return rejected('not-yet-valid', 'join token is not valid yet');
  const claims = parseClaims(payload);
  if (claims === undefined) return rejected('malformed', 'join token claims are not valid');
  if (claims.trustDomain !== policy.trustDomain) {
    return rejected('wrong-trust-domain', `token is for trust domain ${claims.trustDomain}`);
  }
  return { type: 'ok', claims };
}

function rejectionOf(err: unknown): JoinTokenResult {
  if (err instanceof joseErrors.JWTExpired) return rejected('expired', 'join token expired');
  if (err instanceof joseErrors.JWSSignatureVerificationFailed)
    return rejected('bad-signature', 'join token signature does not verify (forged, or the key was rotated)');
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === 'aud') return rejected('wrong-audience', 'token is not for audience "weft"');
    if (err.claim === 'nbf' || err.claim === 'iat')
      return rejected('not-yet-valid', 'join token is not valid yet');
    return rejected('malformed', `join token claim ${err.claim}: ${err.reason}`);
  }
  return rejected('malformed', 'not a weft join token (a JWT signed with EdDSA by token.key)');
}

function parseClaims(c: Record<string, unknown>): JoinTokenClaims | undefined {
  const strings = ['trustDomain', 'namespace', 'serviceAccount', 'jti', 'sub'] as const;
  if (!strings.every((k) => typeof c[k] === 'string' && (c[k] as string).length > 0)) return undefined;
  if (!LABEL.test(c.namespace as string) || !SUBDOMAIN.test(c.serviceAccount as string)) return undefined;
  if (c.sub !== `spiffe://${c.trustDomain}/ns/${c.namespace}/sa/${c.serviceAccount}`) return undefined;
  const services = c.services ?? [];
  if (!Array.isArray(services) || services.length > MAX_TOKEN_SERVICES) return undefined;
  const prefix = `${c.namespace}/`;
  if (
    !services.every(
      (s) => typeof s === 'string' && s.startsWith(prefix) && LABEL.test(s.slice(prefix.length)),
    )
  )
    return undefined;
  return {
    iss: c.iss as string,
    aud: TOKEN_AUDIENCE,
    sub: c.sub as string,
    trustDomain: c.trustDomain as string,
    namespace: c.namespace as string,
    serviceAccount: c.serviceAccount as string,
    services: services as string[],
    iat: c.iat as number,
    exp: c.exp as number,
    jti: c.jti as string,
  };
}

function rejected(reason: JoinTokenRejection, message: string): JoinTokenResult {
  return { type: 'rejected', reason, message };
}
