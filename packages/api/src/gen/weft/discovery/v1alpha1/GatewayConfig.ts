// Original file: weft/discovery/v1alpha1/discovery.proto

import type { GatewayListener as _weft_discovery_v1alpha1_GatewayListener, GatewayListener__Output as _weft_discovery_v1alpha1_GatewayListener__Output } from '../../../weft/discovery/v1alpha1/GatewayListener.js';

export interface GatewayConfig {
  /**
   * The listeners, in the order the Gateways list them; Ingress rules become listeners named
   * "ingress/<namespace>/<name>/http" (port 80) and ".../https" (port 443).
   */
  'listeners'?: (_weft_discovery_v1alpha1_GatewayListener)[];
}

export interface GatewayConfig__Output {
  /**
   * The listeners, in the order the Gateways list them; Ingress rules become listeners named
   * "ingress/<namespace>/<name>/http" (port 80) and ".../https" (port 443).
   */
  'listeners': (_weft_discovery_v1alpha1_GatewayListener__Output)[];
}
