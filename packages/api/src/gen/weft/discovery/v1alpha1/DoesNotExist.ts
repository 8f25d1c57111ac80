// Original file: weft/discovery/v1alpha1/discovery.proto


/**
 * The name is not a known service or endpoint: the proxy treats it as outside the mesh.
 */
export interface DoesNotExist {
  'reason'?: (string);
}

/**
 * The name is not a known service or endpoint: the proxy treats it as outside the mesh.
 */
export interface DoesNotExist__Output {
  'reason': (string);
}
