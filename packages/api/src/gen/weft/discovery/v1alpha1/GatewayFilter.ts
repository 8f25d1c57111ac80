// Original file: weft/discovery/v1alpha1/discovery.proto

import type { GatewayHeaderModifier as _weft_discovery_v1alpha1_GatewayHeaderModifier, GatewayHeaderModifier__Output as _weft_discovery_v1alpha1_GatewayHeaderModifier__Output } from '../../../weft/discovery/v1alpha1/GatewayHeaderModifier.js';
import type { GatewayRequestRedirect as _weft_discovery_v1alpha1_GatewayRequestRedirect, GatewayRequestRedirect__Output as _weft_discovery_v1alpha1_GatewayRequestRedirect__Output } from '../../../weft/discovery/v1alpha1/GatewayRequestRedirect.js';
import type { GatewayUrlRewrite as _weft_discovery_v1alpha1_GatewayUrlRewrite, GatewayUrlRewrite__Output as _weft_discovery_v1alpha1_GatewayUrlRewrite__Output } from '../../../weft/discovery/v1alpha1/GatewayUrlRewrite.js';
import type { GatewayRequestMirror as _weft_discovery_v1alpha1_GatewayRequestMirror, GatewayRequestMirror__Output as _weft_discovery_v1alpha1_GatewayRequestMirror__Output } from '../../../weft/discovery/v1alpha1/GatewayRequestMirror.js';

export interface GatewayFilter {
  'requestHeaderModifier'?: (_weft_discovery_v1alpha1_GatewayHeaderModifier | null);
  'responseHeaderModifier'?: (_weft_discovery_v1alpha1_GatewayHeaderModifier | null);
  'requestRedirect'?: (_weft_discovery_v1alpha1_GatewayRequestRedirect | null);
  'urlRewrite'?: (_weft_discovery_v1alpha1_GatewayUrlRewrite | null);
  'requestMirror'?: (_weft_discovery_v1alpha1_GatewayRequestMirror | null);
  'kind'?: "requestHeaderModifier"|"responseHeaderModifier"|"requestRedirect"|"urlRewrite"|"requestMirror";
}

export interface GatewayFilter__Output {
  'requestHeaderModifier'?: (_weft_discovery_v1alpha1_GatewayHeaderModifier__Output | null);
  'responseHeaderModifier'?: (_weft_discovery_v1alpha1_GatewayHeaderModifier__Output | null);
  'requestRedirect'?: (_weft_discovery_v1alpha1_GatewayRequestRedirect__Output | null);
  'urlRewrite'?: (_weft_discovery_v1alpha1_GatewayUrlRewrite__Output | null);
  'requestMirror'?: (_weft_discovery_v1alpha1_GatewayRequestMirror__Output | null);
  'kind'?: "requestHeaderModifier"|"responseHeaderModifier"|"requestRedirect"|"urlRewrite"|"requestMirror";
}
