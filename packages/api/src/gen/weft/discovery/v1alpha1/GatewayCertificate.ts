// Original file: weft/discovery/v1alpha1/discovery.proto


export interface GatewayCertificate {
  /**
   * "<namespace>/<secret name>" of the certificateRef (or of the Ingress TLS secret).
   */
  'name'?: (string);
  /**
   * PEM: the leaf first, then intermediates.
   */
  'certificateChainPem'?: (string);
  'privateKeyPem'?: (string);
}

export interface GatewayCertificate__Output {
  /**
   * "<namespace>/<secret name>" of the certificateRef (or of the Ingress TLS secret).
   */
  'name': (string);
  /**
   * PEM: the leaf first, then intermediates.
   */
  'certificateChainPem': (string);
  'privateKeyPem': (string);
}
