// Original file: weft/discovery/v1alpha1/discovery.proto


export interface Ack {
  'versionInfo'?: (string);
  'nonce'?: (string);
}

export interface Ack__Output {
  'versionInfo': (string);
  'nonce': (string);
}
