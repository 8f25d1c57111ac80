// Original file: weft/discovery/v1alpha1/discovery.proto

export const Protocol = {
  PROTOCOL_UNSPECIFIED: 'PROTOCOL_UNSPECIFIED',
  PROTOCOL_HTTP: 'PROTOCOL_HTTP',
  PROTOCOL_HTTP2: 'PROTOCOL_HTTP2',
  PROTOCOL_GRPC: 'PROTOCOL_GRPC',
  PROTOCOL_TCP: 'PROTOCOL_TCP',
} as const;

export type Protocol =
  | 'PROTOCOL_UNSPECIFIED'
  | 0
  | 'PROTOCOL_HTTP'
  | 1
  | 'PROTOCOL_HTTP2'
  | 2
  | 'PROTOCOL_GRPC'
  | 3
  | 'PROTOCOL_TCP'
  | 4

export type Protocol__Output = typeof Protocol[keyof typeof Protocol]
