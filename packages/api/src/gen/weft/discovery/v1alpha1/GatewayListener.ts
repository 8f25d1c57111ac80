// Original file: weft/discovery/v1alpha1/discovery.proto

import type { GatewayListenerProtocol as _weft_discovery_v1alpha1_GatewayListenerProtocol, GatewayListenerProtocol__Output as _weft_discovery_v1alpha1_GatewayListenerProtocol__Output } from '../../../weft/discovery/v1alpha1/GatewayListenerProtocol.js';
import type { GatewayCertificate as _weft_discovery_v1alpha1_GatewayCertificate, GatewayCertificate__Output as _weft_discovery_v1alpha1_GatewayCertificate__Output } from '../../../weft/discovery/v1alpha1/GatewayCertificate.js';
import type { GatewayRoute as _weft_discovery_v1alpha1_GatewayRoute, GatewayRoute__Output as _weft_discovery_v1alpha1_GatewayRoute__Output } from '../../../weft/discovery/v1alpha1/GatewayRoute.js';

export interface GatewayListener {
  /**
   * "<gateway namespace>/<gateway name>/<listener name>", named in metrics, logs and /config.
   */
  'name'?: (string);
  /**
   * The port clients connect to, as the Gateway says. Several listeners may share a port; they
   * then differ by hostname (SNI picks the certificate, the Host header picks the listener).
   */
  'port'?: (number);
  'protocol'?: (_weft_discovery_v1alpha1_GatewayListenerProtocol);
  /**
   * The hostname this listener accepts: "" (any), "example.com" or "*.example.com".
   */
  'hostname'?: (string);
  /**
   * HTTPS only: the certificates of the listener's certificateRefs, served by SNI.
   */
  'certificates'?: (_weft_discovery_v1alpha1_GatewayCertificate)[];
  /**
   * The routes attached to this listener, already in the Gateway API's precedence order (the
   * first that matches wins), hostnames already intersected with the listener's.
   */
  'routes'?: (_weft_discovery_v1alpha1_GatewayRoute)[];
}

export interface GatewayListener__Output {
  /**
   * "<gateway namespace>/<gateway name>/<listener name>", named in metrics, logs and /config.
   */
  'name': (string);
  /**
   * The port clients connect to, as the Gateway says. Several listeners may share a port; they
   * then differ by hostname (SNI picks the certificate, the Host header picks the listener).
   */
  'port': (number);
  'protocol': (_weft_discovery_v1alpha1_GatewayListenerProtocol__Output);
  /**
   * The hostname this listener accepts: "" (any), "example.com" or "*.example.com".
   */
  'hostname': (string);
  /**
   * HTTPS only: the certificates of the listener's certificateRefs, served by SNI.
   */
  'certificates': (_weft_discovery_v1alpha1_GatewayCertificate__Output)[];
  /**
   * The routes attached to this listener, already in the Gateway API's precedence order (the
   * first that matches wins), hostnames already intersected with the listener's.
   */
  'routes': (_weft_discovery_v1alpha1_GatewayRoute__Output)[];
}
