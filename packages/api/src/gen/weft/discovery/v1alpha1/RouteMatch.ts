// Original file: weft/discovery/v1alpha1/discovery.proto

import type { PathMatch as _weft_discovery_v1alpha1_PathMatch, PathMatch__Output as _weft_discovery_v1alpha1_PathMatch__Output } from '../../../weft/discovery/v1alpha1/PathMatch.js';
import type { HeaderMatch as _weft_discovery_v1alpha1_HeaderMatch, HeaderMatch__Output as _weft_discovery_v1alpha1_HeaderMatch__Output } from '../../../weft/discovery/v1alpha1/HeaderMatch.js';
import type { QueryMatch as _weft_discovery_v1alpha1_QueryMatch, QueryMatch__Output as _weft_discovery_v1alpha1_QueryMatch__Output } from '../../../weft/discovery/v1alpha1/QueryMatch.js';

export interface RouteMatch {
  'path'?: (_weft_discovery_v1alpha1_PathMatch | null);
  'method'?: (string);
  'headers'?: (_weft_discovery_v1alpha1_HeaderMatch)[];
  'queryParams'?: (_weft_discovery_v1alpha1_QueryMatch)[];
}

export interface RouteMatch__Output {
  'path': (_weft_discovery_v1alpha1_PathMatch__Output | null);
  'method': (string);
  'headers': (_weft_discovery_v1alpha1_HeaderMatch__Output)[];
  'queryParams': (_weft_discovery_v1alpha1_QueryMatch__Output)[];
}
