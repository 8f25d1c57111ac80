// Original file: weft/discovery/v1alpha1/discovery.proto


/**
 * One resource version a proxy rejected.
 */
export interface RejectedVersion {
  /**
   * The resource name (a subscribed name, "inbound" or "mesh").
   */
  'name'?: (string);
  /**
   * Resource.version of the rejected resource.
   */
  'version'?: (string);
}

/**
 * One resource version a proxy rejected.
 */
export interface RejectedVersion__Output {
  /**
   * The resource name (a subscribed name, "inbound" or "mesh").
   */
  'name': (string);
  /**
   * Resource.version of the rejected resource.
   */
  'version': (string);
}
