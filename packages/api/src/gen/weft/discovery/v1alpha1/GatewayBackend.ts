// Original file: weft/discovery/v1alpha1/discovery.proto

import type { GatewayFilter as _weft_discovery_v1alpha1_GatewayFilter, GatewayFilter__Output as _weft_discovery_v1alpha1_GatewayFilter__Output } from '../../../weft/discovery/v1alpha1/GatewayFilter.js';

export interface GatewayBackend {
  /**
   * The mesh authority the gateway resolves through Discovery, as a sidecar would:
   * "<service>.<namespace>.svc.<cluster domain>:<port>".
   */
  'authority'?: (string);
  'weight'?: (number);
  /**
   * Filters applied only when this backend is picked.
   */
  'filters'?: (_weft_discovery_v1alpha1_GatewayFilter)[];
  /**
   * Set when the backendRef could not be resolved (a missing Service, a cross-namespace ref
   * without a ReferenceGrant): requests that pick it are answered 500.
   */
  'unresolvedReason'?: (string);
}

export interface GatewayBackend__Output {
  /**
   * The mesh authority the gateway resolves through Discovery, as a sidecar would:
   * "<service>.<namespace>.svc.<cluster domain>:<port>".
   */
  'authority': (string);
  'weight': (number);
  /**
   * Filters applied only when this backend is picked.
   */
  'filters': (_weft_discovery_v1alpha1_GatewayFilter__Output)[];
  /**
   * Set when the backendRef could not be resolved (a missing Service, a cross-namespace ref
   * without a ReferenceGrant): requests that pick it are answered 500.
   */
  'unresolvedReason': (string);
}
