/** Reads the SPIFFE identity of a gRPC caller from its verified client certificate. */
import { type SvidResult, type TrustBundle, validateSvid } from '@weft/pki';

/** The part of grpc-js's call auth context weft reads (grpc-js does not export the type). */
export interface CallWithAuthContext {
  getAuthContext(): { sslPeerCertificate?: { raw?: Buffer } } | null;
}

/** What the caller's certificate must satisfy. */
export interface PeerIdentityPolicy {
  readonly bundle: TrustBundle;
  readonly trustDomain: string;
  readonly now: number;
  /**
   * Intermediates to complete the chain (grpc-js exposes only the leaf): the issuer
   * certificate(s) of the CA, DER.
   */
  readonly intermediates: readonly Buffer[];
}

/**
 * The caller's SPIFFE identity, or why there is none. `empty-chain` means the caller presented no
 * certificate (or one the TLS layer did not verify): Discovery answers UNAUTHENTICATED then.
 */
export function peerIdentity(call: CallWithAuthContext, policy: PeerIdentityPolicy): SvidResult {
  const raw = call.getAuthContext()?.sslPeerCertificate?.raw;
  if (raw === undefined) return validateSvid([], policy);
  return validateSvid([raw, ...policy.intermediates], policy);
}
