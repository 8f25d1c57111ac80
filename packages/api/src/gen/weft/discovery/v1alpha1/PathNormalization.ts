// Original file: weft/discovery/v1alpha1/discovery.proto

import type { SlashMerge as _weft_discovery_v1alpha1_SlashMerge, SlashMerge__Output as _weft_discovery_v1alpha1_SlashMerge__Output } from '../../../weft/discovery/v1alpha1/SlashMerge.js';
import type { EscapedSlashAction as _weft_discovery_v1alpha1_EscapedSlashAction, EscapedSlashAction__Output as _weft_discovery_v1alpha1_EscapedSlashAction__Output } from '../../../weft/discovery/v1alpha1/EscapedSlashAction.js';
import type { BackslashAction as _weft_discovery_v1alpha1_BackslashAction, BackslashAction__Output as _weft_discovery_v1alpha1_BackslashAction__Output } from '../../../weft/discovery/v1alpha1/BackslashAction.js';
import type { ForwardedPath as _weft_discovery_v1alpha1_ForwardedPath, ForwardedPath__Output as _weft_discovery_v1alpha1_ForwardedPath__Output } from '../../../weft/discovery/v1alpha1/ForwardedPath.js';

/**
 * Request-target normalization (see docs/path-normalization.md). Every field's
 * UNSPECIFIED value means the safe default named in its comment.
 */
export interface PathNormalization {
  'mergeSlashes'?: (_weft_discovery_v1alpha1_SlashMerge);
  'escapedSlashes'?: (_weft_discovery_v1alpha1_EscapedSlashAction);
  'backslash'?: (_weft_discovery_v1alpha1_BackslashAction);
  'forward'?: (_weft_discovery_v1alpha1_ForwardedPath);
}

/**
 * Request-target normalization (see docs/path-normalization.md). Every field's
 * UNSPECIFIED value means the safe default named in its comment.
 */
export interface PathNormalization__Output {
  'mergeSlashes': (_weft_discovery_v1alpha1_SlashMerge__Output);
  'escapedSlashes': (_weft_discovery_v1alpha1_EscapedSlashAction__Output);
  'backslash': (_weft_discovery_v1alpha1_BackslashAction__Output);
  'forward': (_weft_discovery_v1alpha1_ForwardedPath__Output);
}
