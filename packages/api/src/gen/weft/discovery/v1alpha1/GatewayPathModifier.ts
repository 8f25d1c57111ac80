// Original file: weft/discovery/v1alpha1/discovery.proto


export interface GatewayPathModifier {
  'replaceFullPath'?: (string);
  /**
   * Replaces the part of the path the route's PathPrefix match matched.
   */
  'replacePrefixMatch'?: (string);
  'kind'?: "replaceFullPath"|"replacePrefixMatch";
}

export interface GatewayPathModifier__Output {
  'replaceFullPath'?: (string);
  /**
   * Replaces the part of the path the route's PathPrefix match matched.
   */
  'replacePrefixMatch'?: (string);
  'kind'?: "replaceFullPath"|"replacePrefixMatch";
}
