// Original file: weft/discovery/v1alpha1/discovery.proto


export interface GatewayHeader {
  'name'?: (string);
  'value'?: (string);
}

export interface GatewayHeader__Output {
  'name': (string);
  'value': (string);
}
