// Original file: weft/discovery/v1alpha1/discovery.proto

import type { Endpoint as _weft_discovery_v1alpha1_Endpoint, Endpoint__Output as _weft_discovery_v1alpha1_Endpoint__Output } from '../../../weft/discovery/v1alpha1/Endpoint.js';

export interface Backend {
  /**
   * "<service>.<namespace>:<port>".
   */
  'name'?: (string);
  'service'?: (string);
  'namespace'?: (string);
  'port'?: (number);
  'endpoints'?: (_weft_discovery_v1alpha1_Endpoint)[];
}

export interface Backend__Output {
  /**
   * "<service>.<namespace>:<port>".
   */
  'name': (string);
  'service': (string);
  'namespace': (string);
  'port': (number);
  'endpoints': (_weft_discovery_v1alpha1_Endpoint__Output)[];
}
