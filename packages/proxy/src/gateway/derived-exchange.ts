/**
 * A gateway request as the outbound path should see it: the same exchange with its backend
 * authority as the discovery name, its request headers, path and host edited by the route's
 * filters, response headers edited on the way back, and the route's timeout. The exchange's
 * protocol code is used as it is: each protocol's derived request is a subclass of its request
 * class over the original's shared state (HTTP/1: derived-http1.ts, on a view of the client
 * connection; HTTP/2: derived-h2.ts, on the client's stream), so state the layers set on it
 * (telemetry, upstream, abort hooks) is the original's, which the client side that owns the
 * original sees. The gateway stays out of the shared HTTP/1 and HTTP/2 code rather than
 * threading edit hooks through it.
 */
import type { Http1Request } from '../http1/request.js';
import type { H2Request } from '../http2/h2-request.js';
import type { Exchange } from '../layers/types.js';
import { deriveH2 } from './derived-h2.js';
import { deriveHttp1 } from './derived-http1.js';
import type { ExchangeEdits } from './exchange-edits.js';

export type { BodyTap, ExchangeEdits } from './exchange-edits.js';

/** The exchange with `edits` applied. */
export function deriveExchange(req: Exchange, edits: ExchangeEdits): Exchange {
  return req.protocol === 'http1'
    ? deriveHttp1(req as Http1Request, edits)
    : deriveH2(req as H2Request, edits);
}
