// Original file: weft/discovery/v1alpha1/discovery.proto


export interface WeightedBackend {
  /**
   * Key into Destination.backends.
   */
  'backend'?: (string);
  'weight'?: (number);
}

export interface WeightedBackend__Output {
  /**
   * Key into Destination.backends.
   */
  'backend': (string);
  'weight': (number);
}
