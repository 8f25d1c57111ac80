/** Closing upstream HTTP/2 streams, remembering which closes were the proxy's own (not an upstream reset). */
import { type ClientHttp2Stream, constants, type Http2Stream } from 'node:http2';

/** True once `stream` can take no more frames from us (closed locally, reset by the peer, or destroyed). */
export function gone(stream: Http2Stream): boolean {
  return stream.destroyed || stream.closed;
}

/** Upstream streams the proxy itself closed (so their close code is not the upstream's reset). */
const cancelledHere = new WeakSet<ClientHttp2Stream>();

/** Closes upstream stream `up` with `code` unless it is already closed (idempotent). */
export function cancelUpstream(up: ClientHttp2Stream, code: number = constants.NGHTTP2_CANCEL): void {
  if (gone(up)) return;
  cancelledHere.add(up);
  up.close(code);
}

/** True when the proxy closed `up` itself. */
export function cancelledByProxy(up: ClientHttp2Stream): boolean {
  return cancelledHere.has(up);
}
