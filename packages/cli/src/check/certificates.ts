/**
 * Pure certificate checks for `weft check`: how long a trust anchor, issuer or serving
 * certificate has left, and whether a serving chain leads to a trust anchor.
 */
import { X509Certificate } from 'node:crypto';
import { type CertificateInfo, parseCertificate, pemToDers } from '@weft/pki';
import { type CheckResult, fail, ok, warn } from './result.js';

export const DAY_MS = 86_400_000;
/** Warn (or fail, for serving certificates) when a certificate expires within this long. */
export const EXPIRY_MARGIN_MS = 30 * DAY_MS;

/** Parses every CERTIFICATE block of a PEM text; throws naming `what` when there is none or one is bad. */
export function parsePemCertificates(pem: string, what: string): CertificateInfo[] {
  try {
    return pemToDers(pem, 'CERTIFICATE').map((der) => parseCertificate(der));
  } catch (err) {
    throw new Error(`${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

function days(ms: number): string {
  const d = Math.floor(ms / DAY_MS);
  return d === 1 ? '1 day' : `${d} days`;
}

function date(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

/** How the outcome of an expiry check is worded and judged. */
export interface ExpiryPolicy {
  readonly now: number;
  /** Default {@link EXPIRY_MARGIN_MS}. */
  readonly marginMs?: number;
  /** Fail instead of warn inside the margin (serving certificates). */
  readonly failInsideMargin?: boolean;
  /** What to do about it, appended to the hint of a failure or warning. */
  readonly remedy: string;
}

/**
 * Judges the certificate of `certs` that expires first: fail when it has expired or is not yet
 * valid, warn (or fail) when it expires within the margin, ok otherwise.
 */
export function expiryCheck(
  name: string,
  certs: readonly CertificateInfo[],
  policy: ExpiryPolicy,
): CheckResult {
  if (certs.length === 0) return fail(name, `no certificate found. ${policy.remedy}`);
  const first = certs.reduce((a, b) => (b.notAfter < a.notAfter ? b : a));
  const early = certs.find((c) => c.notBefore > policy.now);
  const left = first.notAfter - policy.now;
  if (left <= 0) return fail(name, `expired on ${date(first.notAfter)}. ${policy.remedy}`);
  if (early !== undefined) {
    return fail(name, `not valid before ${date(early.notBefore)} (is the clock right?). ${policy.remedy}`);
  }
  const margin = policy.marginMs ?? EXPIRY_MARGIN_MS;
  const detail = `expires ${date(first.notAfter)}, in ${days(left)}`;
  if (left < margin) {
    const hint = `expires in ${days(left)} (${date(first.notAfter)}), within ${days(margin)}. ${policy.remedy}`;
    return policy.failInsideMargin === true ? fail(name, hint, detail) : warn(name, hint, detail);
  }
  return ok(name, detail);
}

/** The result of {@link verifyServingChain}. */
export type ChainResult = { type: 'valid'; leaf: CertificateInfo } | { type: 'invalid'; reason: string };

/**
 * Checks a TLS server's chain (leaf first, then intermediates) as the API server would: each
 * certificate signed by the next, the last signed by one of `anchors`, every CA link marked CA,
 * and the leaf naming `dnsName`. Validity times are left to {@link expiryCheck}.
 */
export function verifyServingChain(
  chain: readonly CertificateInfo[],
  anchors: readonly CertificateInfo[],
  dnsName: string,
): ChainResult {
  const leaf = chain[0];
  if (leaf === undefined)
    return { type: 'invalid', reason: 'the serving certificate Secret holds no certificate' };
  if (!leaf.dnsNames.includes(dnsName)) {
    const names = leaf.dnsNames.length === 0 ? 'no DNS names' : leaf.dnsNames.join(', ');
    return { type: 'invalid', reason: `the serving certificate is for ${names}, not ${dnsName}` };
  }
  const reason = chainProblem(chain, anchors, "the webhook's caBundle");
  if (reason !== undefined) return { type: 'invalid', reason };
  return { type: 'valid', leaf };
}

function signs(child: CertificateInfo, parent: CertificateInfo): boolean {
  return (
    parent.isCa &&
    child.issuerName.equals(parent.subjectName) &&
    new X509Certificate(child.der).verify(new X509Certificate(parent.der).publicKey)
  );
}

/**
 * Why `chain` (each certificate signed by the next, the last by one of `anchors`, or itself one
 * of them) does not verify, or undefined when it does. `anchorsName` names the anchors.
 */
export function chainProblem(
  chain: readonly CertificateInfo[],
  anchors: readonly CertificateInfo[],
  anchorsName: string,
): string | undefined {
  if (chain.length === 0) return 'there is no certificate';
  for (let i = 0; i + 1 < chain.length; i++) {
    if (!signs(chain[i] as CertificateInfo, chain[i + 1] as CertificateInfo)) {
      return `certificate ${i + 1} of the chain is not signed by certificate ${i + 2}`;
    }
  }
  const top = chain[chain.length - 1] as CertificateInfo;
  if (anchors.some((a) => a.der.equals(top.der) || signs(top, a))) return undefined;
  return `the chain does not lead to ${anchorsName} (signed by another CA)`;
}
