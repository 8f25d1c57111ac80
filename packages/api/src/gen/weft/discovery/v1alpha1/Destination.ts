// Original file: weft/discovery/v1alpha1/discovery.proto

import type { Protocol as _weft_discovery_v1alpha1_Protocol, Protocol__Output as _weft_discovery_v1alpha1_Protocol__Output } from '../../../weft/discovery/v1alpha1/Protocol.js';
import type { Route as _weft_discovery_v1alpha1_Route, Route__Output as _weft_discovery_v1alpha1_Route__Output } from '../../../weft/discovery/v1alpha1/Route.js';
import type { Backend as _weft_discovery_v1alpha1_Backend, Backend__Output as _weft_discovery_v1alpha1_Backend__Output } from '../../../weft/discovery/v1alpha1/Backend.js';
import type { TrafficPolicy as _weft_discovery_v1alpha1_TrafficPolicy, TrafficPolicy__Output as _weft_discovery_v1alpha1_TrafficPolicy__Output } from '../../../weft/discovery/v1alpha1/TrafficPolicy.js';

/**
 * Everything a client proxy needs to send traffic to one service port.
 */
export interface Destination {
  /**
   * The canonical authority, e.g. "api.shop.svc.cluster.local:80".
   */
  'authority'?: (string);
  'service'?: (string);
  'namespace'?: (string);
  'port'?: (number);
  'protocol'?: (_weft_discovery_v1alpha1_Protocol);
  /**
   * HTTP routes in precedence order; the first match wins. Empty means one default route
   * to this service itself.
   */
  'routes'?: (_weft_discovery_v1alpha1_Route)[];
  /**
   * Endpoint sets of every backend a route can pick, by backend name.
   */
  'backends'?: (_weft_discovery_v1alpha1_Backend)[];
  'policy'?: (_weft_discovery_v1alpha1_TrafficPolicy | null);
}

/**
 * Everything a client proxy needs to send traffic to one service port.
 */
export interface Destination__Output {
  /**
   * The canonical authority, e.g. "api.shop.svc.cluster.local:80".
   */
  'authority': (string);
  'service': (string);
  'namespace': (string);
  'port': (number);
  'protocol': (_weft_discovery_v1alpha1_Protocol__Output);
  /**
   * HTTP routes in precedence order; the first match wins. Empty means one default route
   * to this service itself.
   */
  'routes': (_weft_discovery_v1alpha1_Route__Output)[];
  /**
   * Endpoint sets of every backend a route can pick, by backend name.
   */
  'backends': (_weft_discovery_v1alpha1_Backend__Output)[];
  'policy': (_weft_discovery_v1alpha1_TrafficPolicy__Output | null);
}
