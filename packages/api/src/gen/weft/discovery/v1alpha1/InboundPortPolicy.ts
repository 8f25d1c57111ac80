// Original file: weft/discovery/v1alpha1/discovery.proto

import type { Protocol as _weft_discovery_v1alpha1_Protocol, Protocol__Output as _weft_discovery_v1alpha1_Protocol__Output } from '../../../weft/discovery/v1alpha1/Protocol.js';

export interface InboundPortPolicy {
  'port'?: (number);
  'protocol'?: (_weft_discovery_v1alpha1_Protocol);
}

export interface InboundPortPolicy__Output {
  'port': (number);
  'protocol': (_weft_discovery_v1alpha1_Protocol__Output);
}
