// Original file: weft/discovery/v1alpha1/discovery.proto

import type { Tracing as _weft_discovery_v1alpha1_Tracing, Tracing__Output as _weft_discovery_v1alpha1_Tracing__Output } from '../../../weft/discovery/v1alpha1/Tracing.js';

export interface MeshConfig {
  'trustDomain'?: (string);
  'tracing'?: (_weft_discovery_v1alpha1_Tracing | null);
}

export interface MeshConfig__Output {
  'trustDomain': (string);
  'tracing': (_weft_discovery_v1alpha1_Tracing__Output | null);
}
