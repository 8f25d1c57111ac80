// Original file: weft/discovery/v1alpha1/discovery.proto

import type { GatewayHeader as _weft_discovery_v1alpha1_GatewayHeader, GatewayHeader__Output as _weft_discovery_v1alpha1_GatewayHeader__Output } from '../../../weft/discovery/v1alpha1/GatewayHeader.js';

export interface GatewayHeaderModifier {
  'set'?: (_weft_discovery_v1alpha1_GatewayHeader)[];
  'add'?: (_weft_discovery_v1alpha1_GatewayHeader)[];
  'remove'?: (string)[];
}

export interface GatewayHeaderModifier__Output {
  'set': (_weft_discovery_v1alpha1_GatewayHeader__Output)[];
  'add': (_weft_discovery_v1alpha1_GatewayHeader__Output)[];
  'remove': (string)[];
}
