/**
 * Which meshed pods would lose the control plane if the old anchor left the bundle: a proxy
 * verifies the control plane with the anchors the injector stamped in its pod's
 * `weft.dev/trust-anchors` annotation (plus what its last Certify gave it, gone on a restart). A
 * pod whose annotation lacks the anchor that signs the issuer in force must be recreated (rolled)
 * before step 3 of an anchor rotation. Pure.
 */
import { createHash } from 'node:crypto';
import { pemToDers } from '@weft/pki';

/** The part of a pod read here. */
export interface PodAnnotations {
  readonly metadata?: { name?: string; namespace?: string; annotations?: Record<string, string> };
}

/** `namespace/name` of each pod with a trust-anchors annotation that lacks `fingerprint` (SHA-256 hex). */
export function podsLackingAnchor(
  pods: readonly PodAnnotations[],
  annotation: string,
  fingerprint: string,
): string[] {
  const out: string[] = [];
  for (const pod of pods) {
    const pem = pod.metadata?.annotations?.[annotation];
    if (pem === undefined) continue;
    let held: string[];
    try {
      held = pemToDers(pem, 'CERTIFICATE').map((d) => createHash('sha256').update(d).digest('hex'));
    } catch {
      held = [];
    }
    if (!held.includes(fingerprint)) out.push(`${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`);
  }
  return out;
}
