// Original file: weft/discovery/v1alpha1/discovery.proto

import type { Resource as _weft_discovery_v1alpha1_Resource, Resource__Output as _weft_discovery_v1alpha1_Resource__Output } from '../../../weft/discovery/v1alpha1/Resource.js';

export interface DiscoveryResponse {
  /**
   * Monotonic version of the state this response brings the proxy to.
   */
  'versionInfo'?: (string);
  /**
   * Echoed in the proxy's ack or nack.
   */
  'nonce'?: (string);
  /**
   * Upserts: each replaces the resource of the same name.
   */
  'resources'?: (_weft_discovery_v1alpha1_Resource)[];
  /**
   * Names whose resources are gone (the proxy unsubscribed or the control plane dropped them).
   */
  'removedNames'?: (string)[];
}

export interface DiscoveryResponse__Output {
  /**
   * Monotonic version of the state this response brings the proxy to.
   */
  'versionInfo': (string);
  /**
   * Echoed in the proxy's ack or nack.
   */
  'nonce': (string);
  /**
   * Upserts: each replaces the resource of the same name.
   */
  'resources': (_weft_discovery_v1alpha1_Resource__Output)[];
  /**
   * Names whose resources are gone (the proxy unsubscribed or the control plane dropped them).
   */
  'removedNames': (string)[];
}
