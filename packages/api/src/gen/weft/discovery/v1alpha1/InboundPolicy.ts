// Original file: weft/discovery/v1alpha1/discovery.proto

import type { DefaultAction as _weft_discovery_v1alpha1_DefaultAction, DefaultAction__Output as _weft_discovery_v1alpha1_DefaultAction__Output } from '../../../weft/discovery/v1alpha1/DefaultAction.js';
import type { MtlsMode as _weft_discovery_v1alpha1_MtlsMode, MtlsMode__Output as _weft_discovery_v1alpha1_MtlsMode__Output } from '../../../weft/discovery/v1alpha1/MtlsMode.js';
import type { InboundPortPolicy as _weft_discovery_v1alpha1_InboundPortPolicy, InboundPortPolicy__Output as _weft_discovery_v1alpha1_InboundPortPolicy__Output } from '../../../weft/discovery/v1alpha1/InboundPortPolicy.js';
import type { AuthorizationRule as _weft_discovery_v1alpha1_AuthorizationRule, AuthorizationRule__Output as _weft_discovery_v1alpha1_AuthorizationRule__Output } from '../../../weft/discovery/v1alpha1/AuthorizationRule.js';

/**
 * How this proxy treats traffic arriving for its workload.
 */
export interface InboundPolicy {
  'defaultAction'?: (_weft_discovery_v1alpha1_DefaultAction);
  'mtlsMode'?: (_weft_discovery_v1alpha1_MtlsMode);
  'ports'?: (_weft_discovery_v1alpha1_InboundPortPolicy)[];
  'rules'?: (_weft_discovery_v1alpha1_AuthorizationRule)[];
}

/**
 * How this proxy treats traffic arriving for its workload.
 */
export interface InboundPolicy__Output {
  'defaultAction': (_weft_discovery_v1alpha1_DefaultAction__Output);
  'mtlsMode': (_weft_discovery_v1alpha1_MtlsMode__Output);
  'ports': (_weft_discovery_v1alpha1_InboundPortPolicy__Output)[];
  'rules': (_weft_discovery_v1alpha1_AuthorizationRule__Output)[];
}
