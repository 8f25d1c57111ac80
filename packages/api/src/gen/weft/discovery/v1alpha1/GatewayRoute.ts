// Original file: weft/discovery/v1alpha1/discovery.proto

import type { RouteMatch as _weft_discovery_v1alpha1_RouteMatch, RouteMatch__Output as _weft_discovery_v1alpha1_RouteMatch__Output } from '../../../weft/discovery/v1alpha1/RouteMatch.js';
import type { GatewayFilter as _weft_discovery_v1alpha1_GatewayFilter, GatewayFilter__Output as _weft_discovery_v1alpha1_GatewayFilter__Output } from '../../../weft/discovery/v1alpha1/GatewayFilter.js';
import type { GatewayBackend as _weft_discovery_v1alpha1_GatewayBackend, GatewayBackend__Output as _weft_discovery_v1alpha1_GatewayBackend__Output } from '../../../weft/discovery/v1alpha1/GatewayBackend.js';
import type { Duration as _google_protobuf_Duration, Duration__Output as _google_protobuf_Duration__Output } from '../../../google/protobuf/Duration.js';
import type { RetryPolicy as _weft_discovery_v1alpha1_RetryPolicy, RetryPolicy__Output as _weft_discovery_v1alpha1_RetryPolicy__Output } from '../../../weft/discovery/v1alpha1/RetryPolicy.js';

export interface GatewayRoute {
  /**
   * "<kind>/<namespace>/<name>/<rule index>", e.g. "HTTPRoute/shop/web/0" or
   * "Ingress/shop/web/default"; named in metrics, logs and traces.
   */
  'name'?: (string);
  /**
   * Hostnames the route serves (exact or "*.example.com"); empty means any the listener serves.
   */
  'hostnames'?: (string)[];
  /**
   * The route applies when any match matches; empty means every request. GRPCRoute matches
   * arrive translated: method -> path exact "/<service>/<method>" or prefix "/<service>/".
   * Path prefixes match whole segments ("/api" matches "/api/x", not "/apix").
   */
  'matches'?: (_weft_discovery_v1alpha1_RouteMatch)[];
  /**
   * Filters applied in order before a backend is picked.
   */
  'filters'?: (_weft_discovery_v1alpha1_GatewayFilter)[];
  /**
   * Weighted backends; a request picks one by weight. No backend with weight > 0 means 500
   * (the Gateway API's rule), as does picking an unresolved one.
   */
  'backends'?: (_weft_discovery_v1alpha1_GatewayBackend)[];
  /**
   * HTTPRoute timeouts.request and timeouts.backendRequest (unset = none beyond the policy's).
   */
  'requestTimeout'?: (_google_protobuf_Duration | null);
  'backendRequestTimeout'?: (_google_protobuf_Duration | null);
  /**
   * HTTPRoute rule retry, translated; unset = the backend service's own policy.
   */
  'retry'?: (_weft_discovery_v1alpha1_RetryPolicy | null);
  /**
   * True for a GRPCRoute: errors are answered as gRPC statuses and upstreams speak h2.
   */
  'grpc'?: (boolean);
}

export interface GatewayRoute__Output {
  /**
   * "<kind>/<namespace>/<name>/<rule index>", e.g. "HTTPRoute/shop/web/0" or
   * "Ingress/shop/web/default"; named in metrics, logs and traces.
   */
  'name': (string);
  /**
   * Hostnames the route serves (exact or "*.example.com"); empty means any the listener serves.
   */
  'hostnames': (string)[];
  /**
   * The route applies when any match matches; empty means every request. GRPCRoute matches
   * arrive translated: method -> path exact "/<service>/<method>" or prefix "/<service>/".
   * Path prefixes match whole segments ("/api" matches "/api/x", not "/apix").
   */
  'matches': (_weft_discovery_v1alpha1_RouteMatch__Output)[];
  /**
   * Filters applied in order before a backend is picked.
   */
  'filters': (_weft_discovery_v1alpha1_GatewayFilter__Output)[];
  /**
   * Weighted backends; a request picks one by weight. No backend with weight > 0 means 500
   * (the Gateway API's rule), as does picking an unresolved one.
   */
  'backends': (_weft_discovery_v1alpha1_GatewayBackend__Output)[];
  /**
   * HTTPRoute timeouts.request and timeouts.backendRequest (unset = none beyond the policy's).
   */
  'requestTimeout': (_google_protobuf_Duration__Output | null);
  'backendRequestTimeout': (_google_protobuf_Duration__Output | null);
  /**
   * HTTPRoute rule retry, translated; unset = the backend service's own policy.
   */
  'retry': (_weft_discovery_v1alpha1_RetryPolicy__Output | null);
  /**
   * True for a GRPCRoute: errors are answered as gRPC statuses and upstreams speak h2.
   */
  'grpc': (boolean);
}
