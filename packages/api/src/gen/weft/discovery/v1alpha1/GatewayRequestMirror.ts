// Original file: weft/discovery/v1alpha1/discovery.proto


export interface GatewayRequestMirror {
  /**
   * Authority of the mirror backend, as in GatewayBackend.
   */
  'authority'?: (string);
  /**
   * The share of requests mirrored: numerator / denominator (100/100 when the filter says
   * neither percent nor fraction).
   */
  'numerator'?: (number);
  'denominator'?: (number);
}

export interface GatewayRequestMirror__Output {
  /**
   * Authority of the mirror backend, as in GatewayBackend.
   */
  'authority': (string);
  /**
   * The share of requests mirrored: numerator / denominator (100/100 when the filter says
   * neither percent nor fraction).
   */
  'numerator': (number);
  'denominator': (number);
}
