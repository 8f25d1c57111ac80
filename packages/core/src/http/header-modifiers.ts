/**
 * Header names a route's header modifier (Gateway API RequestHeaderModifier and
 * ResponseHeaderModifier) may not set or add: Host (routing and the URL rewrite own it) and the
 * framing and connection headers a proxy writes from the message itself (a second Content-Length
 * or Transfer-Encoding would let the receiver read the stream differently from the proxy).
 * Pseudo-headers (`:path`...) are refused beside them. The control plane refuses such a route,
 * with a status; the gateway's compiler refuses such a config.
 */
export const UNMODIFIABLE_HEADERS: ReadonlySet<string> = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'upgrade',
]);

/** True when a header modifier may set or add `name` (any case). */
export function modifiableHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return !lower.startsWith(':') && !UNMODIFIABLE_HEADERS.has(lower);
}
