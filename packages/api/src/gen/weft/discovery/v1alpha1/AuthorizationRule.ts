// Original file: weft/discovery/v1alpha1/discovery.proto

import type { AuthorizationAction as _weft_discovery_v1alpha1_AuthorizationAction, AuthorizationAction__Output as _weft_discovery_v1alpha1_AuthorizationAction__Output } from '../../../weft/discovery/v1alpha1/AuthorizationAction.js';
import type { AuthorizationSource as _weft_discovery_v1alpha1_AuthorizationSource, AuthorizationSource__Output as _weft_discovery_v1alpha1_AuthorizationSource__Output } from '../../../weft/discovery/v1alpha1/AuthorizationSource.js';
import type { AuthorizationTarget as _weft_discovery_v1alpha1_AuthorizationTarget, AuthorizationTarget__Output as _weft_discovery_v1alpha1_AuthorizationTarget__Output } from '../../../weft/discovery/v1alpha1/AuthorizationTarget.js';

/**
 * One AuthorizationPolicy: it applies when any `from` and any `to` match (empty = any).
 */
export interface AuthorizationRule {
  /**
   * "<namespace>/<name>" of the policy, named in denials.
   */
  'name'?: (string);
  'action'?: (_weft_discovery_v1alpha1_AuthorizationAction);
  'from'?: (_weft_discovery_v1alpha1_AuthorizationSource)[];
  'to'?: (_weft_discovery_v1alpha1_AuthorizationTarget)[];
}

/**
 * One AuthorizationPolicy: it applies when any `from` and any `to` match (empty = any).
 */
export interface AuthorizationRule__Output {
  /**
   * "<namespace>/<name>" of the policy, named in denials.
   */
  'name': (string);
  'action': (_weft_discovery_v1alpha1_AuthorizationAction__Output);
  'from': (_weft_discovery_v1alpha1_AuthorizationSource__Output)[];
  'to': (_weft_discovery_v1alpha1_AuthorizationTarget__Output)[];
}
