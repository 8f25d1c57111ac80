/**
 * Responses the gateway makes itself (redirects, 404 for no listener or route, 500 for no
 * usable backend), written through the request's own connection so keep-alive, HTTP/2 stream
 * state and telemetry stay right. A gRPC request gets its status in a trailers-only response.
 * An answer to a request that matched a rule gets the rule's response header modifiers, as a
 * backend's response would (a redirect with `Strict-Transport-Security`, say).
 */
import type { OutgoingHttpHeaders } from 'node:http2';
import type { Http1Request } from '../http1/request.js';
import type { H2Request } from '../http2/h2-request.js';
import type { Exchange } from '../layers/types.js';
import type { HeaderModifier } from './compiled.js';
import { applyHeaderModifier, flatHeaderBag, objectHeaderBag } from './header-bag.js';

/** gRPC status for a gateway-made HTTP status (404: UNIMPLEMENTED, else UNAVAILABLE). */
function grpcStatus(status: number): number {
  return status === 404 ? 12 : 14;
}

const REASONS: Record<number, string> = {
  301: 'Moved Permanently',
  302: 'Found',
  404: 'Not Found',
  500: 'Internal Server Error',
};

export interface LocalResponse {
  readonly status: number;
  /** Extra headers (lower-case names). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Why, as text (the body; the grpc-message for gRPC). */
  readonly message: string;
  /** Answer as gRPC (a GRPCRoute, or a request with a gRPC content type). */
  readonly grpc: boolean;
  /** The matched rule's response header modifiers, in order (none without a rule). */
  readonly modifiers?: readonly HeaderModifier[];
}

/** `headers` with the response's modifiers applied. */
function modified(headers: OutgoingHttpHeaders, r: LocalResponse): OutgoingHttpHeaders {
  if (r.modifiers !== undefined && r.modifiers.length > 0) {
    const bag = objectHeaderBag(headers);
    for (const m of r.modifiers) applyHeaderModifier(bag, m);
  }
  return headers;
}

export function respondLocally(req: Exchange, r: LocalResponse): void {
  const body = r.status >= 300 && r.status < 400 ? '' : `${r.message}\n`;
  if (req.protocol === 'h2') {
    const stream = (req as H2Request).stream;
    if (stream.destroyed || stream.closed || stream.headersSent) return;
    try {
      if (r.grpc) {
        req.telemetry?.responded(200);
        req.telemetry?.grpcStatus(grpcStatus(r.status));
        stream.respond(
          modified(
            {
              ':status': 200,
              'content-type': 'application/grpc',
              'grpc-status': String(grpcStatus(r.status)),
              'grpc-message': encodeURIComponent(r.message),
            },
            r,
          ),
          { endStream: true },
        );
        return;
      }
      req.telemetry?.responded(r.status);
      stream.respond(
        modified({ ':status': r.status, 'content-type': 'text/plain; charset=utf-8', ...r.headers }, r),
      );
      stream.end(body);
    } catch {
      // The stream closed under us: nothing more to tell this client.
      if (!stream.destroyed) stream.close();
    }
    return;
  }
  const conn = (req as Http1Request).conn;
  const bytes = Buffer.from(body);
  const headers: string[] = ['content-type', 'text/plain; charset=utf-8'];
  for (const [k, v] of Object.entries(r.headers ?? {})) headers.push(k, v);
  if (r.modifiers !== undefined && r.modifiers.length > 0) {
    const bag = flatHeaderBag(headers);
    for (const m of r.modifiers) applyHeaderModifier(bag, m);
  }
  conn.writeHead({
    method: '',
    target: '',
    status: r.status,
    reason: REASONS[r.status] ?? 'Error',
    version: 11,
    headers,
    host: '',
    framing: { kind: 'length', length: bytes.length },
    close: false,
    upgrade: '',
    expectContinue: false,
    contentLength: bytes.length,
  });
  if (bytes.length > 0) conn.writeBody(bytes);
  conn.endResponse();
}
