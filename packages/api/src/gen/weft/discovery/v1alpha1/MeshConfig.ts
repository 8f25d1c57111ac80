// Original file: weft/discovery/v1alpha1/discovery.proto

import type { Tracing as _weft_discovery_v1alpha1_Tracing, Tracing__Output as _weft_discovery_v1alpha1_Tracing__Output } from '../../../weft/discovery/v1alpha1/Tracing.js';
import type { PathNormalization as _weft_discovery_v1alpha1_PathNormalization, PathNormalization__Output as _weft_discovery_v1alpha1_PathNormalization__Output } from '../../../weft/discovery/v1alpha1/PathNormalization.js';

export interface MeshConfig {
  'trustDomain'?: (string);
  'tracing'?: (_weft_discovery_v1alpha1_Tracing | null);
  /**
   * How proxies normalize request paths before authorization, routing and metrics.
   * Unset (or UNSPECIFIED fields) means the safe defaults.
   */
  'pathNormalization'?: (_weft_discovery_v1alpha1_PathNormalization | null);
  /**
   * SHA-256 (lowercase hex) of each trust anchor Certify hands out now. A proxy whose bundle
   * differs renews its certificate (once per change) to pick up the new bundle.
   */
  'trustAnchorFingerprints'?: (string)[];
  /**
   * SHA-256 of the issuer certificate that signs new workload certificates; a proxy whose
   * certificate comes from another issuer renews (once per change).
   */
  'issuerFingerprint'?: (string);
}

export interface MeshConfig__Output {
  'trustDomain': (string);
  'tracing': (_weft_discovery_v1alpha1_Tracing__Output | null);
  /**
   * How proxies normalize request paths before authorization, routing and metrics.
   * Unset (or UNSPECIFIED fields) means the safe defaults.
   */
  'pathNormalization': (_weft_discovery_v1alpha1_PathNormalization__Output | null);
  /**
   * SHA-256 (lowercase hex) of each trust anchor Certify hands out now. A proxy whose bundle
   * differs renews its certificate (once per change) to pick up the new bundle.
   */
  'trustAnchorFingerprints': (string)[];
  /**
   * SHA-256 of the issuer certificate that signs new workload certificates; a proxy whose
   * certificate comes from another issuer renews (once per change).
   */
  'issuerFingerprint': (string);
}
