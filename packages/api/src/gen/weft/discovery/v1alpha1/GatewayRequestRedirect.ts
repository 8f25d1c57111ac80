// Original file: weft/discovery/v1alpha1/discovery.proto

import type { GatewayPathModifier as _weft_discovery_v1alpha1_GatewayPathModifier, GatewayPathModifier__Output as _weft_discovery_v1alpha1_GatewayPathModifier__Output } from '../../../weft/discovery/v1alpha1/GatewayPathModifier.js';

export interface GatewayRequestRedirect {
  /**
   * "" keeps the request's; otherwise "http" or "https".
   */
  'scheme'?: (string);
  'hostname'?: (string);
  'path'?: (_weft_discovery_v1alpha1_GatewayPathModifier | null);
  /**
   * 0 keeps the default for the scheme (the spec's rules).
   */
  'port'?: (number);
  /**
   * 301 or 302 (default 302).
   */
  'statusCode'?: (number);
}

export interface GatewayRequestRedirect__Output {
  /**
   * "" keeps the request's; otherwise "http" or "https".
   */
  'scheme': (string);
  'hostname': (string);
  'path': (_weft_discovery_v1alpha1_GatewayPathModifier__Output | null);
  /**
   * 0 keeps the default for the scheme (the spec's rules).
   */
  'port': (number);
  /**
   * 301 or 302 (default 302).
   */
  'statusCode': (number);
}
