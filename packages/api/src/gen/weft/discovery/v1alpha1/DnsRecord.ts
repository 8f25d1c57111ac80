// Original file: weft/discovery/v1alpha1/discovery.proto

import type { Duration as _google_protobuf_Duration, Duration__Output as _google_protobuf_Duration__Output } from '../../../google/protobuf/Duration.js';

/**
 * What a Service name resolves to in DNS (the answer to a "dns:<fqdn>" subscription).
 */
export interface DnsRecord {
  /**
   * "name.namespace.svc.<cluster-domain>", lower case, no trailing dot.
   */
  'fqdn'?: (string);
  /**
   * The Service's ClusterIPs; for a headless Service the addresses of its ready endpoints;
   * in local mode a loopback address the client proxy listens on for the Service's ports.
   */
  'addresses'?: (string)[];
  /**
   * How long a DNS client may cache the addresses.
   */
  'ttl'?: (_google_protobuf_Duration | null);
  /**
   * The Service's ports (local mode: the ports the client proxy opens on the loopback address).
   */
  'ports'?: (number)[];
}

/**
 * What a Service name resolves to in DNS (the answer to a "dns:<fqdn>" subscription).
 */
export interface DnsRecord__Output {
  /**
   * "name.namespace.svc.<cluster-domain>", lower case, no trailing dot.
   */
  'fqdn': (string);
  /**
   * The Service's ClusterIPs; for a headless Service the addresses of its ready endpoints;
   * in local mode a loopback address the client proxy listens on for the Service's ports.
   */
  'addresses': (string)[];
  /**
   * How long a DNS client may cache the addresses.
   */
  'ttl': (_google_protobuf_Duration__Output | null);
  /**
   * The Service's ports (local mode: the ports the client proxy opens on the loopback address).
   */
  'ports': (number)[];
}
