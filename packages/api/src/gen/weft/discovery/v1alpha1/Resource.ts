// Original file: weft/discovery/v1alpha1/discovery.proto

import type { Destination as _weft_discovery_v1alpha1_Destination, Destination__Output as _weft_discovery_v1alpha1_Destination__Output } from '../../../weft/discovery/v1alpha1/Destination.js';
import type { DoesNotExist as _weft_discovery_v1alpha1_DoesNotExist, DoesNotExist__Output as _weft_discovery_v1alpha1_DoesNotExist__Output } from '../../../weft/discovery/v1alpha1/DoesNotExist.js';
import type { InboundPolicy as _weft_discovery_v1alpha1_InboundPolicy, InboundPolicy__Output as _weft_discovery_v1alpha1_InboundPolicy__Output } from '../../../weft/discovery/v1alpha1/InboundPolicy.js';
import type { MeshConfig as _weft_discovery_v1alpha1_MeshConfig, MeshConfig__Output as _weft_discovery_v1alpha1_MeshConfig__Output } from '../../../weft/discovery/v1alpha1/MeshConfig.js';
import type { DnsRecord as _weft_discovery_v1alpha1_DnsRecord, DnsRecord__Output as _weft_discovery_v1alpha1_DnsRecord__Output } from '../../../weft/discovery/v1alpha1/DnsRecord.js';
import type { GatewayConfig as _weft_discovery_v1alpha1_GatewayConfig, GatewayConfig__Output as _weft_discovery_v1alpha1_GatewayConfig__Output } from '../../../weft/discovery/v1alpha1/GatewayConfig.js';

export interface Resource {
  /**
   * The subscribed name this answers, "inbound" for the proxy's inbound policy, or
   * "mesh" for the mesh config.
   */
  'name'?: (string);
  /**
   * Version of this one resource; unchanged resources are not resent.
   */
  'version'?: (string);
  'destination'?: (_weft_discovery_v1alpha1_Destination | null);
  'doesNotExist'?: (_weft_discovery_v1alpha1_DoesNotExist | null);
  'inboundPolicy'?: (_weft_discovery_v1alpha1_InboundPolicy | null);
  'meshConfig'?: (_weft_discovery_v1alpha1_MeshConfig | null);
  'dnsRecord'?: (_weft_discovery_v1alpha1_DnsRecord | null);
  'gatewayConfig'?: (_weft_discovery_v1alpha1_GatewayConfig | null);
  'kind'?: "destination"|"doesNotExist"|"inboundPolicy"|"meshConfig"|"dnsRecord"|"gatewayConfig";
}

export interface Resource__Output {
  /**
   * The subscribed name this answers, "inbound" for the proxy's inbound policy, or
   * "mesh" for the mesh config.
   */
  'name': (string);
  /**
   * Version of this one resource; unchanged resources are not resent.
   */
  'version': (string);
  'destination'?: (_weft_discovery_v1alpha1_Destination__Output | null);
  'doesNotExist'?: (_weft_discovery_v1alpha1_DoesNotExist__Output | null);
  'inboundPolicy'?: (_weft_discovery_v1alpha1_InboundPolicy__Output | null);
  'meshConfig'?: (_weft_discovery_v1alpha1_MeshConfig__Output | null);
  'dnsRecord'?: (_weft_discovery_v1alpha1_DnsRecord__Output | null);
  'gatewayConfig'?: (_weft_discovery_v1alpha1_GatewayConfig__Output | null);
  'kind'?: "destination"|"doesNotExist"|"inboundPolicy"|"meshConfig"|"dnsRecord"|"gatewayConfig";
}
