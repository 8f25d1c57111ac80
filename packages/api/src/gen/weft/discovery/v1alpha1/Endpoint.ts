// Original file: weft/discovery/v1alpha1/discovery.proto

import type { MeshedEndpoint as _weft_discovery_v1alpha1_MeshedEndpoint, MeshedEndpoint__Output as _weft_discovery_v1alpha1_MeshedEndpoint__Output } from '../../../weft/discovery/v1alpha1/MeshedEndpoint.js';

export interface Endpoint {
  /**
   * Where the workload is: a pod IP, or 127.0.0.1 in local mode.
   */
  'address'?: (string);
  /**
   * The service's target port on that workload.
   */
  'port'?: (number);
  /**
   * The SPIFFE ID the endpoint must present; empty when it is not meshed.
   */
  'identity'?: (string);
  /**
   * Relative weight for load balancing; 0 (unset) means the default, 1. The control plane
   * leaves out endpoints that must get no traffic rather than sending weight 0.
   */
  'weight'?: (number);
  'zone'?: (string);
  /**
   * Set when the endpoint runs a weft proxy: connect to this inbound port with mTLS and
   * send the target `port` in the connection preamble.
   */
  'meshed'?: (_weft_discovery_v1alpha1_MeshedEndpoint | null);
  'labels'?: ({[key: string]: string});
}

export interface Endpoint__Output {
  /**
   * Where the workload is: a pod IP, or 127.0.0.1 in local mode.
   */
  'address': (string);
  /**
   * The service's target port on that workload.
   */
  'port': (number);
  /**
   * The SPIFFE ID the endpoint must present; empty when it is not meshed.
   */
  'identity': (string);
  /**
   * Relative weight for load balancing; 0 (unset) means the default, 1. The control plane
   * leaves out endpoints that must get no traffic rather than sending weight 0.
   */
  'weight': (number);
  'zone': (string);
  /**
   * Set when the endpoint runs a weft proxy: connect to this inbound port with mTLS and
   * send the target `port` in the connection preamble.
   */
  'meshed': (_weft_discovery_v1alpha1_MeshedEndpoint__Output | null);
  'labels': ({[key: string]: string});
}
