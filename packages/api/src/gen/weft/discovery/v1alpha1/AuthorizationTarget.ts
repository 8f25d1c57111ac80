// Original file: weft/discovery/v1alpha1/discovery.proto


export interface AuthorizationTarget {
  'ports'?: (number)[];
  'methods'?: (string)[];
  /**
   * Exact paths, or prefixes ending in "*".
   */
  'paths'?: (string)[];
}

export interface AuthorizationTarget__Output {
  'ports': (number)[];
  'methods': (string)[];
  /**
   * Exact paths, or prefixes ending in "*".
   */
  'paths': (string)[];
}
