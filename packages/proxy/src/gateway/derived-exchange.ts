/**
 * A gateway request as the outbound path should see it: the same exchange with its backend
 * authority as the discovery name, its request headers, path and host edited by the route's
 * filters, response headers edited on the way back, and the route's timeout. The exchange's
 * protocol code is used as it is. HTTP/1 (derived-http1.ts): an Http1Request over the
 * original's state on a view of the client connection. HTTP/2 (here): a Proxy over the original
 * whose state writes (telemetry, upstream, abort hooks) land on the original, so the client
 * stream that owns the original sees them. Either way the gateway stays out of the shared
 * HTTP/1 and HTTP/2 code rather than threading edit hooks through it.
 */
import type { OutgoingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import { Http1Attempts } from '../http1/attempts.js';
import type { Http1Request } from '../http1/request.js';
import type { H2Request } from '../http2/h2-request.js';
import type { AttemptChannel, AttemptObserver, AttemptOptions, Exchange } from '../layers/types.js';
import { deriveHttp1 } from './derived-http1.js';
import { type BodyTap, type ExchangeEdits, isInternal } from './exchange-edits.js';
import { withFixedTimeout } from './fixed-timeout.js';
import { H2ToHttp1 } from './h2-downgrade.js';
import { applyHeaderModifier, objectHeaderBag } from './header-bag.js';

export type { BodyTap, ExchangeEdits } from './exchange-edits.js';

/** `target` with `overrides` read first; writes go to `target` (whose methods see the overrides). */
function overlay<T extends object>(target: T, overrides: Record<string, unknown>): T {
  return new Proxy(target, {
    get(t, p, receiver) {
      if (typeof p === 'string' && Object.hasOwn(overrides, p)) return overrides[p];
      return Reflect.get(t, p, receiver);
    },
    set(t, p, v) {
      return Reflect.set(t, p, v, t);
    },
  });
}

/** `target` with some methods replaced; every other method runs bound to `target` itself. */
function boundOverlay<T extends object>(target: T, overrides: Record<string, unknown>): T {
  return new Proxy(target, {
    get(t, p) {
      if (typeof p === 'string' && Object.hasOwn(overrides, p)) return overrides[p];
      const v = Reflect.get(t, p, t);
      return typeof v === 'function' ? v.bind(t) : v;
    },
    set(t, p, v) {
      return Reflect.set(t, p, v, t);
    },
  });
}

/** The exchange with `edits` applied. */
export function deriveExchange(req: Exchange, edits: ExchangeEdits): Exchange {
  if (req.protocol === 'http1') return deriveHttp1(req as Http1Request, edits);
  const path = edits.target ?? req.path;
  // Attempts run on the original exchange's protocol code, seeing the edits.
  const attempts = (self: Exchange) =>
    function (
      this: Exchange,
      observer: AttemptObserver,
      options: AttemptOptions,
    ): AttemptChannel | undefined {
      const method = Reflect.get(req, 'attempts', self) as Exchange['attempts'];
      return timed(self, observer, (o) => method.call(self, o, options));
    };
  // A backend outside the mesh takes the single-attempt path, which has no deadline: the route's.
  const timed = (
    self: Exchange,
    observer: AttemptObserver,
    open: (o: AttemptObserver) => AttemptChannel | undefined,
  ): AttemptChannel | undefined => withFixedTimeout(edits.fixedTimeoutMs, self.destination, observer, open);
  const orig = req as H2Request;
  const headers = { ...(orig as unknown as { headers: OutgoingHttpHeaders }).headers };
  edits.editHeaders(objectHeaderBag(headers));
  if (edits.host !== undefined) headers[':authority'] = edits.host;
  if (edits.target !== undefined) headers[':path'] = edits.target;
  const stream: ServerHttp2Stream = boundOverlay(orig.stream, {
    ...h2BodyTap(orig.stream, edits.bodyTap, () => stream),
    respond: (h: OutgoingHttpHeaders, options?: Parameters<ServerHttp2Stream['respond']>[1]) => {
      const out: OutgoingHttpHeaders = {};
      for (const name of Object.keys(h)) if (!isInternal(name)) out[name] = h[name];
      const rb = objectHeaderBag(out);
      for (const m of edits.responseModifiers) applyHeaderModifier(rb, m);
      orig.stream.respond(out, options);
    },
  });
  const overrides: Record<string, unknown> = {
    headers,
    stream,
    name: edits.name,
    egress: edits.egress,
    path,
  };
  const derived = overlay(req, overrides);
  const h2Attempts = attempts(derived);
  overrides.attempts = (observer: AttemptObserver, options: AttemptOptions): AttemptChannel | undefined => {
    if (derived.method === 'CONNECT' || !edits.downgrade(derived.destination)) {
      // Kept on h2 to a backend outside the mesh (gRPC) with a route timeout: the attempt channel
      // rather than the single forward, so the timeout can cancel the upstream stream and answer
      // (a gRPC client gets DEADLINE_EXCEEDED in a trailers-only response).
      const fixed =
        derived.method !== 'CONNECT' &&
        derived.destination === undefined &&
        !Number.isNaN(edits.fixedTimeoutMs);
      return h2Attempts.call(derived, observer, fixed ? { ...options, retries: true } : options);
    }
    const client = new H2ToHttp1(derived, stream, headers, edits.http1Pool(), {
      peer: derived.peer,
      name: edits.name,
      port: derived.port,
      egress: edits.egress,
    });
    return timed(derived, observer, (o) => new Http1Attempts(client, o, options));
  };
  return derived;
}

/**
 * Overrides of the client stream's `on`/`addListener`/`pipe` that start `tap` on the stream when
 * the backend's reader first subscribes to its data (H2Attempts, H2ToHttp1, or a single forward):
 * a listener added in the same tick sees every chunk, and it never pauses the stream.
 */
function h2BodyTap(
  down: ServerHttp2Stream,
  tap: BodyTap | undefined,
  self: () => ServerHttp2Stream,
): Record<string, unknown> {
  if (tap === undefined) return {};
  let tapped = false;
  const start = () => {
    if (tapped) return;
    tapped = true;
    down.on('data', (chunk: Buffer) => tap.push(chunk));
    down.once('end', () => tap.end());
  };
  const on = (event: string | symbol, listener: (...args: unknown[]) => void) => {
    if (event === 'data') start();
    down.on(event, listener);
    return self();
  };
  return {
    on,
    addListener: on,
    pipe: <T extends NodeJS.WritableStream>(dest: T, options?: { end?: boolean }): T => {
      start();
      return down.pipe(dest, options);
    },
  };
}
