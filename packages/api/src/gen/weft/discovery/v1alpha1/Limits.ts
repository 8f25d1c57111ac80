// Original file: weft/discovery/v1alpha1/discovery.proto


export interface Limits {
  'maxConnections'?: (number);
  'maxPendingRequests'?: (number);
  'maxRequests'?: (number);
}

export interface Limits__Output {
  'maxConnections': (number);
  'maxPendingRequests': (number);
  'maxRequests': (number);
}
