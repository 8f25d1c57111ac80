/** SPIFFE X.509-SVID validation: a pure function from a peer chain to an identity or a typed reason. */
import { parseSpiffeId, type SpiffeId } from '@weft/core';
import { type CertificateInfo, parseCertificate } from './certificate.js';
import { MalformedError } from './errors.js';
import { publicKeyFromSpki, signatureAlgorithmByOid, verifyData } from './keys.js';
import type { TrustBundle } from './trust-bundle.js';

/** Why a peer's chain was refused (stable values; used in metrics and logs). */
export type SvidRejection =
  | 'empty-chain'
  | 'malformed'
  | 'not-yet-valid'
  | 'expired'
  | 'leaf-is-ca'
  | 'leaf-key-cert-sign'
  | 'leaf-missing-digital-signature'
  | 'unknown-critical-extension'
  | 'uri-san-count'
  | 'not-spiffe'
  | 'trust-domain-mismatch'
  | 'identity-mismatch'
  | 'intermediate-not-ca'
  | 'unknown-authority'
  | 'chain-too-long';

/** The result of {@link validateSvid}. */
export type SvidResult =
  | { type: 'valid'; identity: string; id: SpiffeId; notAfter: number }
  | { type: 'invalid'; reason: SvidRejection; message: string };

/** What the chain must satisfy. */
export interface SvidPolicy {
  /** The roots in force (several during rotation). */
  readonly bundle: TrustBundle;
  /** The trust domain the peer's SPIFFE ID must be in. */
  readonly trustDomain: string;
  /** The current time (ms since the epoch). */
  readonly now: number;
  /** When set, the exact SPIFFE ID the peer must present (what discovery said the endpoint is). */
  readonly expectedIdentity?: string;
  /** Intermediates allowed between leaf and root (default 4). */
  readonly maxIntermediates?: number;
}

/**
 * Validates a peer's chain (leaf first, then any intermediates, DER) against `policy`:
 * signatures up to a root in the bundle, validity times of every certificate, and the
 * SPIFFE leaf rules (exactly one URI SAN, spiffe scheme, trust domain, CA=false, no keyCertSign
 * or cRLSign, digitalSignature present).
 */
export function validateSvid(chain: readonly Uint8Array[], policy: SvidPolicy): SvidResult {
  if (chain.length === 0) return invalid('empty-chain', 'the peer presented no certificate');
  let certs: CertificateInfo[];
  try {
    certs = chain.map((c) => parseCertificate(Buffer.from(c.buffer, c.byteOffset, c.byteLength)));
  } catch (err) {
    return invalid('malformed', err instanceof MalformedError ? err.message : 'certificate: not valid DER');
  }
  const leaf = certs[0] as CertificateInfo;
  const leafCheck = checkLeaf(leaf, policy);
  if (leafCheck.type === 'invalid') return leafCheck;
  const path = checkPath(leaf, certs.slice(1), policy);
  return path ?? leafCheck;
}

/** What {@link validateSvidLeaf} checks the leaf against. */
export type SvidLeafPolicy = Pick<SvidPolicy, 'trustDomain' | 'now' | 'expectedIdentity'>;

/**
 * Applies only the SPIFFE leaf rules (validity, CA=false, key usage, one spiffe URI SAN, trust
 * domain, expected identity) to a leaf, without checking signatures. For TLS peers whose chain
 * node:tls already verified against the same trust bundle (`socket.authorized`): ~20x cheaper
 * than {@link validateSvid} per handshake.
 */
export function validateSvidLeaf(leafDer: Uint8Array, policy: SvidLeafPolicy): SvidResult {
  let leaf: CertificateInfo;
  try {
    leaf = parseCertificate(Buffer.from(leafDer.buffer, leafDer.byteOffset, leafDer.byteLength));
  } catch (err) {
    return invalid('malformed', err instanceof MalformedError ? err.message : 'certificate: not valid DER');
  }
  return checkLeaf(leaf, policy);
}

/**
 * The DER chain node:tls reports for a peer (`socket.getPeerCertificate(true)`), leaf first,
 * following `issuerCertificate` links until a self-signed certificate repeats.
 */
export function peerCertificateChain(peer: PeerCertificateLink | undefined): Buffer[] {
  const chain: Buffer[] = [];
  const seen = new Set<PeerCertificateLink>();
  let at = peer;
  while (at?.raw !== undefined && !seen.has(at)) {
    seen.add(at);
    chain.push(at.raw);
    at = at.issuerCertificate;
  }
  return chain;
}

/** The fields of node:tls's DetailedPeerCertificate that {@link peerCertificateChain} follows. */
export interface PeerCertificateLink {
  readonly raw?: Buffer;
  readonly issuerCertificate?: PeerCertificateLink;
}

function checkLeaf(leaf: CertificateInfo, policy: SvidLeafPolicy): SvidResult {
  const time = checkTime(leaf, policy.now, 'leaf');
  if (time) return time;
  if (leaf.isCa) return invalid('leaf-is-ca', 'leaf has basicConstraints CA=true');
  if (leaf.keyUsage?.has('keyCertSign') || leaf.keyUsage?.has('cRLSign')) {
    return invalid('leaf-key-cert-sign', 'leaf keyUsage includes keyCertSign or cRLSign');
  }
  if (leaf.keyUsage !== undefined && !leaf.keyUsage.has('digitalSignature')) {
    return invalid('leaf-missing-digital-signature', 'leaf keyUsage lacks digitalSignature');
  }
  if (leaf.unknownCritical.length > 0) {
    return invalid(
      'unknown-critical-extension',
      `leaf has unknown critical extension ${leaf.unknownCritical[0]}`,
    );
  }
  if (leaf.uris.length !== 1)
    return invalid('uri-san-count', `leaf has ${leaf.uris.length} URI SANs (want exactly 1)`);
  const uri = leaf.uris[0] as string;
  const parsed = parseSpiffeId(uri);
  if (parsed.type === 'error' || parsed.id.path === '') {
    return invalid(
      'not-spiffe',
      `leaf URI SAN is not a SPIFFE workload ID (${parsed.type === 'error' ? parsed.reason : 'no path'})`,
    );
  }
  if (parsed.id.trustDomain !== policy.trustDomain) {
    return invalid(
      'trust-domain-mismatch',
      `leaf is in trust domain ${parsed.id.trustDomain}, want ${policy.trustDomain}`,
    );
  }
  if (policy.expectedIdentity !== undefined && uri !== policy.expectedIdentity) {
    return invalid('identity-mismatch', `peer is ${uri}, want ${policy.expectedIdentity}`);
  }
  return { type: 'valid', identity: uri, id: parsed.id, notAfter: leaf.notAfter };
}

/** Walks issuer links from the leaf to a root in the bundle; undefined when the path is good. */
function checkPath(
  leaf: CertificateInfo,
  intermediates: CertificateInfo[],
  policy: SvidPolicy,
): SvidResult | undefined {
  const maxIntermediates = policy.maxIntermediates ?? 4;
  const unused = new Set(intermediates);
  let current = leaf;
  for (let depth = 0; depth <= maxIntermediates; depth++) {
    for (const anchor of policy.bundle.anchors) {
      if (anchor.info.subjectName.equals(current.issuerName) && signedBy(current, anchor.publicKey)) {
        return checkTime(anchor.info, policy.now, 'trust anchor');
      }
    }
    if (depth === maxIntermediates) break;
    let next: CertificateInfo | undefined;
    for (const candidate of unused) {
      if (candidate.subjectName.equals(current.issuerName) && signedBy(current, keyOf(candidate))) {
        next = candidate;
        break;
      }
    }
    if (next === undefined) {
      return invalid('unknown-authority', 'the chain does not lead to a trusted root');
    }
    if (!next.isCa || (next.keyUsage !== undefined && !next.keyUsage.has('keyCertSign'))) {
      return invalid('intermediate-not-ca', 'an intermediate is not a CA (basicConstraints/keyUsage)');
    }
    if (next.pathLength !== undefined && next.pathLength < depth) {
      return invalid('intermediate-not-ca', 'an intermediate exceeds its pathLen constraint');
    }
    if (next.unknownCritical.length > 0) {
      return invalid(
        'unknown-critical-extension',
        `intermediate has unknown critical extension ${next.unknownCritical[0]}`,
      );
    }
    const time = checkTime(next, policy.now, 'intermediate');
    if (time) return time;
    unused.delete(next);
    current = next;
  }
  return invalid('chain-too-long', `more than ${maxIntermediates} intermediates`);
}

/** Parsed intermediate keys by SPKI: the same few issuers sign every leaf a proxy sees. */
const keyCache = new Map<string, ReturnType<typeof publicKeyFromSpki>>();
const KEY_CACHE_SIZE = 64;

function keyOf(info: CertificateInfo) {
  const id = info.subjectPublicKeyInfo.toString('base64');
  const cached = keyCache.get(id);
  if (cached) return cached;
  try {
    const key = publicKeyFromSpki(info.subjectPublicKeyInfo);
    if (keyCache.size >= KEY_CACHE_SIZE) keyCache.delete(keyCache.keys().next().value as string);
    keyCache.set(id, key);
    return key;
  } catch {
    return undefined;
  }
}

function signedBy(cert: CertificateInfo, key: ReturnType<typeof keyOf>): boolean {
  const algorithm = signatureAlgorithmByOid(cert.signatureAlgorithmOid);
  return key !== undefined && algorithm !== undefined && verifyData(algorithm, cert.tbs, key, cert.signature);
}

function checkTime(cert: CertificateInfo, now: number, what: string): SvidResult | undefined {
  if (now < cert.notBefore)
    return invalid('not-yet-valid', `${what} is not valid until ${new Date(cert.notBefore).toISOString()}`);
  if (now > cert.notAfter)
    return invalid('expired', `${what} expired at ${new Date(cert.notAfter).toISOString()}`);
  return undefined;
}

function invalid(reason: SvidRejection, message: string): SvidResult {
  return { type: 'invalid', reason, message };
}
