/**
 * Following a trust-anchor rotation: the control plane announces, in the mesh config, the
 * fingerprints of the anchors Certify hands out and of the issuer that signs; a proxy whose
 * certificate or bundle differs renews once per announcement. Pure.
 */
import { createHash } from 'node:crypto';
import { pemToDers } from '@weft/pki/workload';

/** What the mesh config announces (empty fingerprints: a control plane that announces nothing). */
export interface AnnouncedTrust {
  readonly trustAnchorFingerprints: readonly string[];
  readonly issuerFingerprint: string;
}

/** What the proxy holds: its chain (leaf first) and bundle, DER. */
export interface HeldTrust {
  readonly chain: readonly Uint8Array[];
  readonly anchors: readonly Uint8Array[];
}

/** SHA-256 of a DER certificate, lowercase hex (the form the control plane announces). */
export function fingerprintOf(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex');
}

/** Fingerprints of every certificate in a PEM bundle (for the Node report); [] when it does not parse. */
export function bundleFingerprints(pem: string | undefined): string[] {
  if (pem === undefined) return [];
  try {
    return pemToDers(pem, 'CERTIFICATE').map(fingerprintOf);
  } catch {
    return [];
  }
}

/**
 * The announcement's key when the held certificate or bundle differs from it (renew), else
 * undefined. The caller renews once per key, so a control plane that keeps announcing what it
 * cannot issue (a replica not yet reloaded) causes one renewal, not a loop.
 */
export function renewalKey(announced: AnnouncedTrust, held: HeldTrust | undefined): string | undefined {
  if (held === undefined || announced.trustAnchorFingerprints.length === 0) return undefined;
  const want = [...announced.trustAnchorFingerprints].sort();
  const have = held.anchors.map(fingerprintOf).sort();
  const issuer = held.chain[1] === undefined ? '' : fingerprintOf(held.chain[1]);
  const same =
    want.length === have.length &&
    want.every((f, i) => f === have[i]) &&
    (announced.issuerFingerprint === '' || announced.issuerFingerprint === issuer);
  return same ? undefined : `${want.join(',')}|${announced.issuerFingerprint}`;
}
