/**
 * The trust-anchor rotation report served at /debug/identity (what `weft check` and
 * `weft identity rotate-anchor` read): the step, and which connected proxies still lack the
 * bundle in force or hold a certificate from a replaced issuer. Pure.
 */
import { X509Certificate } from 'node:crypto';
import {
  type AnchorRotationState,
  anchorRotationState,
  certificateFingerprint,
  isSignedBy,
  type LoadedIdentity,
  parseCertificate,
} from '@weft/pki';
import type { ProxyCertificate } from '../discovery/discovery-service.js';

/** One proxy that is not yet where the rotation needs it. */
export interface LaggingProxy {
  readonly namespace: string;
  readonly workload: string;
  readonly identity: string;
  /** Its certificate's serial and expiry (ISO), when it presented one. */
  readonly serial?: string;
  readonly notAfter?: string;
  /** `previous`: signed by a replaced issuer; `unknown`: by none the control plane knows. */
  readonly issuer: 'current' | 'previous' | 'unknown';
  /** False when it does not report every anchor of the bundle in force. */
  readonly holdsBundle: boolean;
}

/** The body of /debug/identity. */
export interface RotationReport extends AnchorRotationState {
  readonly trustDomain: string;
  readonly proxies: {
    readonly connected: number;
    /** Proxies holding every anchor of the bundle in force (step 2 waits for all). */
    readonly withBundle: number;
    /** Proxies whose certificate the issuer in force signed (step 3 waits for all). */
    readonly withCurrentIssuer: number;
    /** Up to 100 proxies that lag, for the operator to look at. */
    readonly lagging: readonly LaggingProxy[];
  };
}

const MAX_LISTED = 100;

/** Builds the report. `previousIssuers` are replaced issuers still accepted (DER). */
export function rotationReport(
  identity: LoadedIdentity,
  previousIssuers: readonly Buffer[],
  proxies: readonly ProxyCertificate[],
): RotationReport {
  const state = anchorRotationState(identity.trustAnchors, identity.ca.issuerInfo.der);
  const bundle = state.anchors.map((a) => a.fingerprint);
  const issuerKey = publicKeyOf(identity.ca.issuerInfo.der);
  const previousKeys = previousIssuers.map(publicKeyOf);
  let withBundle = 0;
  let withCurrentIssuer = 0;
  const lagging: LaggingProxy[] = [];
  for (const p of proxies) {
    const holdsBundle = bundle.every((f) => p.anchorFingerprints.includes(f));
    let issuer: LaggingProxy['issuer'] = 'unknown';
    let leaf: ReturnType<typeof parseCertificate> | undefined;
    try {
      leaf = p.leaf === undefined ? undefined : parseCertificate(p.leaf);
    } catch {
      leaf = undefined;
    }
    if (leaf !== undefined) {
      if (isSignedBy(leaf, issuerKey)) issuer = 'current';
      else if (previousKeys.some((k) => isSignedBy(leaf as NonNullable<typeof leaf>, k))) issuer = 'previous';
    }
    if (holdsBundle) withBundle++;
    if (issuer === 'current') withCurrentIssuer++;
    if ((!holdsBundle || issuer !== 'current') && lagging.length < MAX_LISTED) {
      lagging.push({
        namespace: p.namespace,
        workload: p.workload,
        identity: p.identity,
        ...(leaf === undefined
          ? {}
          : { serial: leaf.serialHex, notAfter: new Date(leaf.notAfter).toISOString() }),
        issuer,
        holdsBundle,
      });
    }
  }
  return {
    ...state,
    trustDomain: identity.trustDomain,
    proxies: { connected: proxies.length, withBundle, withCurrentIssuer, lagging },
  };
}

/** The trust material announced in the mesh config (fingerprints of the bundle and the issuer). */
export function meshTrustOf(identity: LoadedIdentity): {
  trustAnchorFingerprints: string[];
  issuerFingerprint: string;
} {
  return {
    trustAnchorFingerprints: identity.trustAnchors.ders().map(certificateFingerprint),
    issuerFingerprint: certificateFingerprint(identity.ca.issuerInfo.der),
  };
}

function publicKeyOf(der: Buffer) {
  return new X509Certificate(der).publicKey;
}
