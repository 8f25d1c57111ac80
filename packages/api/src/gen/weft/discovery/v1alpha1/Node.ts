// Original file: weft/discovery/v1alpha1/discovery.proto

import type { InboundPort as _weft_discovery_v1alpha1_InboundPort, InboundPort__Output as _weft_discovery_v1alpha1_InboundPort__Output } from '../../../weft/discovery/v1alpha1/InboundPort.js';
import type { RejectedVersion as _weft_discovery_v1alpha1_RejectedVersion, RejectedVersion__Output as _weft_discovery_v1alpha1_RejectedVersion__Output } from '../../../weft/discovery/v1alpha1/RejectedVersion.js';

/**
 * Who the proxy is. Its identity comes from its client certificate, not from here.
 */
export interface Node {
  /**
   * The workload (pod) name.
   */
  'workload'?: (string);
  'namespace'?: (string);
  'serviceAccount'?: (string);
  /**
   * Local mode: the service this workload serves; registered as an endpoint of it.
   */
  'service'?: (string);
  /**
   * The address other proxies reach this proxy's inbound listener on.
   */
  'address'?: (string);
  /**
   * The port of this proxy's inbound listener (7143 unless overridden).
   */
  'inboundListenerPort'?: (number);
  'inboundPorts'?: (_weft_discovery_v1alpha1_InboundPort)[];
  'labels'?: ({[key: string]: string});
  'proxyVersion'?: (string);
  /**
   * Zone (topology) of the workload, if known.
   */
  'zone'?: (string);
  /**
   * The port of this proxy's admin listener (/metrics), where the control plane gathers
   * golden metrics for `weft stat` (7191 unless overridden; 0 = unknown).
   */
  'adminPort'?: (number);
  /**
   * Local mode: the join token (a JWT) naming the services this workload may register. A
   * registration of `service` is refused unless this token is valid, names the identity of
   * the stream's client certificate and lists the service. Never logged.
   */
  'registrationToken'?: (string);
  /**
   * Resource versions this proxy rejected (nacked) and still does not hold, sent again on
   * every new stream: a replica it reconnects to does not re-send exactly these versions
   * (the next different version of the name is sent). Capped by the proxy (1,000 entries).
   */
  'rejectedVersions'?: (_weft_discovery_v1alpha1_RejectedVersion)[];
  /**
   * SHA-256 (lowercase hex) of each trust anchor this proxy holds (from its last Certify).
   * Reported for trust-anchor rotation (`weft check`); a proxy misreporting it only misleads
   * the report about itself.
   */
  'trustAnchorFingerprints'?: (string)[];
  /**
   * Set by a proxy running as an ingress gateway (`weft gateway`): the GatewayClass name it
   * serves ("weft" by default). The control plane then pushes it the resource "gateway" (a
   * GatewayConfig) when the stream's client certificate is one of its gateway identities.
   * Empty for a sidecar.
   */
  'gatewayClass'?: (string);
}

/**
 * Who the proxy is. Its identity comes from its client certificate, not from here.
 */
export interface Node__Output {
  /**
   * The workload (pod) name.
   */
  'workload': (string);
  'namespace': (string);
  'serviceAccount': (string);
  /**
   * Local mode: the service this workload serves; registered as an endpoint of it.
   */
  'service': (string);
  /**
   * The address other proxies reach this proxy's inbound listener on.
   */
  'address': (string);
  /**
   * The port of this proxy's inbound listener (7143 unless overridden).
   */
  'inboundListenerPort': (number);
  'inboundPorts': (_weft_discovery_v1alpha1_InboundPort__Output)[];
  'labels': ({[key: string]: string});
  'proxyVersion': (string);
  /**
   * Zone (topology) of the workload, if known.
   */
  'zone': (string);
  /**
   * The port of this proxy's admin listener (/metrics), where the control plane gathers
   * golden metrics for `weft stat` (7191 unless overridden; 0 = unknown).
   */
  'adminPort': (number);
  /**
   * Local mode: the join token (a JWT) naming the services this workload may register. A
   * registration of `service` is refused unless this token is valid, names the identity of
   * the stream's client certificate and lists the service. Never logged.
   */
  'registrationToken': (string);
  /**
   * Resource versions this proxy rejected (nacked) and still does not hold, sent again on
   * every new stream: a replica it reconnects to does not re-send exactly these versions
   * (the next different version of the name is sent). Capped by the proxy (1,000 entries).
   */
  'rejectedVersions': (_weft_discovery_v1alpha1_RejectedVersion__Output)[];
  /**
   * SHA-256 (lowercase hex) of each trust anchor this proxy holds (from its last Certify).
   * Reported for trust-anchor rotation (`weft check`); a proxy misreporting it only misleads
   * the report about itself.
   */
  'trustAnchorFingerprints': (string)[];
  /**
   * Set by a proxy running as an ingress gateway (`weft gateway`): the GatewayClass name it
   * serves ("weft" by default). The control plane then pushes it the resource "gateway" (a
   * GatewayConfig) when the stream's client certificate is one of its gateway identities.
   * Empty for a sidecar.
   */
  'gatewayClass': (string);
}
