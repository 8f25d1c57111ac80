// Original file: weft/discovery/v1alpha1/discovery.proto


export interface Tracing {
  'endpoint'?: (string);
  /**
   * "grpc" or "http/protobuf".
   */
  'protocol'?: (string);
  'sampling'?: (number | string);
}

export interface Tracing__Output {
  'endpoint': (string);
  /**
   * "grpc" or "http/protobuf".
   */
  'protocol': (string);
  'sampling': (number);
}
