/**
 * The request headers an HTTP/2 hop never forwards, shared by the h2 forwarding path
 * (h2-request.ts) and the gateway's h2-to-HTTP/1.1 adapter (gateway/h2-downgrade.ts).
 */

/** Connection-specific headers (RFC 9113 section 8.2.2) and an h2c upgrade's HTTP2-Settings. */
export const H2_HOP_BY_HOP: readonly string[] = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
];
