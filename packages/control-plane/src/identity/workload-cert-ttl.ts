/** The workload certificate lifetime an operator asked for (`--workload-cert-ttl`), checked against its bounds. */

/** The shortest workload certificate lifetime: proxies renew at about half of it. */
export const MIN_WORKLOAD_CERT_TTL_MS = 10_000;

/** The lifetime to issue, or why the requested one cannot be used. */
export type WorkloadCertTtl =
  | { readonly type: 'ok'; readonly ttlMs: number }
  | { readonly type: 'invalid'; readonly message: string };

/**
 * Checks a requested leaf lifetime: at least {@link MIN_WORKLOAD_CERT_TTL_MS}, and no longer than
 * the issuer has left at `now` (a leaf never outlives its issuer, so a longer value would be a lie).
 */
export function checkWorkloadCertTtl(ttlMs: number, issuerNotAfter: number, now: number): WorkloadCertTtl {
  if (!Number.isFinite(ttlMs) || ttlMs < MIN_WORKLOAD_CERT_TTL_MS) {
    return {
      type: 'invalid',
      message: `workload certificate TTL must be at least ${MIN_WORKLOAD_CERT_TTL_MS / 1000}s (got ${ttlMs} ms)`,
    };
  }
  const remaining = issuerNotAfter - now;
  if (ttlMs > remaining) {
    return {
      type: 'invalid',
      message: `workload certificate TTL ${Math.round(ttlMs / 1000)}s exceeds what the issuer has left (${Math.max(0, Math.floor(remaining / 1000))}s, until ${new Date(issuerNotAfter).toISOString()}); rotate the issuer or ask for less`,
    };
  }
  return { type: 'ok', ttlMs };
}
