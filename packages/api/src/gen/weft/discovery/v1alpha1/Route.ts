// Original file: weft/discovery/v1alpha1/discovery.proto

import type { RouteMatch as _weft_discovery_v1alpha1_RouteMatch, RouteMatch__Output as _weft_discovery_v1alpha1_RouteMatch__Output } from '../../../weft/discovery/v1alpha1/RouteMatch.js';
import type { WeightedBackend as _weft_discovery_v1alpha1_WeightedBackend, WeightedBackend__Output as _weft_discovery_v1alpha1_WeightedBackend__Output } from '../../../weft/discovery/v1alpha1/WeightedBackend.js';
import type { Duration as _google_protobuf_Duration, Duration__Output as _google_protobuf_Duration__Output } from '../../../google/protobuf/Duration.js';
import type { RetryPolicy as _weft_discovery_v1alpha1_RetryPolicy, RetryPolicy__Output as _weft_discovery_v1alpha1_RetryPolicy__Output } from '../../../weft/discovery/v1alpha1/RetryPolicy.js';

export interface Route {
  'name'?: (string);
  /**
   * Any of these matches selects the route; none means match everything.
   */
  'matches'?: (_weft_discovery_v1alpha1_RouteMatch)[];
  'backends'?: (_weft_discovery_v1alpha1_WeightedBackend)[];
  /**
   * Route-level overrides (HTTPRoute timeouts/retries); unset fields fall back to policy.
   */
  'requestTimeout'?: (_google_protobuf_Duration | null);
  'retry'?: (_weft_discovery_v1alpha1_RetryPolicy | null);
}

export interface Route__Output {
  'name': (string);
  /**
   * Any of these matches selects the route; none means match everything.
   */
  'matches': (_weft_discovery_v1alpha1_RouteMatch__Output)[];
  'backends': (_weft_discovery_v1alpha1_WeightedBackend__Output)[];
  /**
   * Route-level overrides (HTTPRoute timeouts/retries); unset fields fall back to policy.
   */
  'requestTimeout': (_google_protobuf_Duration__Output | null);
  'retry': (_weft_discovery_v1alpha1_RetryPolicy__Output | null);
}
