// Original file: weft/discovery/v1alpha1/discovery.proto


export interface MeshedEndpoint {
  'inboundPort'?: (number);
}

export interface MeshedEndpoint__Output {
  'inboundPort': (number);
}
