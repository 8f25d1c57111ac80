// Original file: weft/discovery/v1alpha1/discovery.proto

import type { Node as _weft_discovery_v1alpha1_Node, Node__Output as _weft_discovery_v1alpha1_Node__Output } from '../../../weft/discovery/v1alpha1/Node.js';
import type { Subscribe as _weft_discovery_v1alpha1_Subscribe, Subscribe__Output as _weft_discovery_v1alpha1_Subscribe__Output } from '../../../weft/discovery/v1alpha1/Subscribe.js';
import type { Unsubscribe as _weft_discovery_v1alpha1_Unsubscribe, Unsubscribe__Output as _weft_discovery_v1alpha1_Unsubscribe__Output } from '../../../weft/discovery/v1alpha1/Unsubscribe.js';
import type { Ack as _weft_discovery_v1alpha1_Ack, Ack__Output as _weft_discovery_v1alpha1_Ack__Output } from '../../../weft/discovery/v1alpha1/Ack.js';
import type { Nack as _weft_discovery_v1alpha1_Nack, Nack__Output as _weft_discovery_v1alpha1_Nack__Output } from '../../../weft/discovery/v1alpha1/Nack.js';

export interface DiscoveryRequest {
  'node'?: (_weft_discovery_v1alpha1_Node | null);
  'subscribe'?: (_weft_discovery_v1alpha1_Subscribe | null);
  'unsubscribe'?: (_weft_discovery_v1alpha1_Unsubscribe | null);
  'ack'?: (_weft_discovery_v1alpha1_Ack | null);
  'nack'?: (_weft_discovery_v1alpha1_Nack | null);
  'kind'?: "node"|"subscribe"|"unsubscribe"|"ack"|"nack";
}

export interface DiscoveryRequest__Output {
  'node'?: (_weft_discovery_v1alpha1_Node__Output | null);
  'subscribe'?: (_weft_discovery_v1alpha1_Subscribe__Output | null);
  'unsubscribe'?: (_weft_discovery_v1alpha1_Unsubscribe__Output | null);
  'ack'?: (_weft_discovery_v1alpha1_Ack__Output | null);
  'nack'?: (_weft_discovery_v1alpha1_Nack__Output | null);
  'kind'?: "node"|"subscribe"|"unsubscribe"|"ack"|"nack";
}
