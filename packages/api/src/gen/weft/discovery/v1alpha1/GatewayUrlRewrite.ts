// Original file: weft/discovery/v1alpha1/discovery.proto

import type { GatewayPathModifier as _weft_discovery_v1alpha1_GatewayPathModifier, GatewayPathModifier__Output as _weft_discovery_v1alpha1_GatewayPathModifier__Output } from '../../../weft/discovery/v1alpha1/GatewayPathModifier.js';

export interface GatewayUrlRewrite {
  'hostname'?: (string);
  'path'?: (_weft_discovery_v1alpha1_GatewayPathModifier | null);
}

export interface GatewayUrlRewrite__Output {
  'hostname': (string);
  'path': (_weft_discovery_v1alpha1_GatewayPathModifier__Output | null);
}
