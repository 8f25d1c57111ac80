// Original file: weft/discovery/v1alpha1/discovery.proto

export const GatewayListenerProtocol = {
  GATEWAY_LISTENER_PROTOCOL_UNSPECIFIED: 'GATEWAY_LISTENER_PROTOCOL_UNSPECIFIED',
  GATEWAY_LISTENER_PROTOCOL_HTTP: 'GATEWAY_LISTENER_PROTOCOL_HTTP',
  /**
   * TLS mode Terminate: the gateway ends TLS with `certificates` and speaks HTTP/1.1 or h2
   * (ALPN) behind it.
   */
  GATEWAY_LISTENER_PROTOCOL_HTTPS: 'GATEWAY_LISTENER_PROTOCOL_HTTPS',
} as const;

export type GatewayListenerProtocol =
  | 'GATEWAY_LISTENER_PROTOCOL_UNSPECIFIED'
  | 0
  | 'GATEWAY_LISTENER_PROTOCOL_HTTP'
  | 1
  /**
   * TLS mode Terminate: the gateway ends TLS with `certificates` and speaks HTTP/1.1 or h2
   * (ALPN) behind it.
   */
  | 'GATEWAY_LISTENER_PROTOCOL_HTTPS'
  | 2

export type GatewayListenerProtocol__Output = typeof GatewayListenerProtocol[keyof typeof GatewayListenerProtocol]
