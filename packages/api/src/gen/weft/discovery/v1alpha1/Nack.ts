// Original file: weft/discovery/v1alpha1/discovery.proto


export interface Nack {
  'versionInfo'?: (string);
  'nonce'?: (string);
  /**
   * Why the proxy rejected the response.
   */
  'errorDetail'?: (string);
}

export interface Nack__Output {
  'versionInfo': (string);
  'nonce': (string);
  /**
   * Why the proxy rejected the response.
   */
  'errorDetail': (string);
}
