/**
 * A gateway request as the outbound path should see it: the same exchange with its backend
 * authority as the discovery name, its request headers, path and host edited by the route's
 * filters, response headers edited on the way back, and the route's timeout. The exchange's
 * protocol code is used as it is: the derived exchange is a Proxy over the original whose
 * state writes (telemetry, upstream, abort hooks) land on the original, so the client
 * connection that owns the original sees them. This keeps the gateway out of the shared
 * HTTP/1 and HTTP/2 code rather than threading edit hooks through it.
 */
import type { OutgoingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { Destination } from '../discovery/resolver.js';
import { Http1Attempts } from '../http1/attempts.js';
import type { MessageHead } from '../http1/head-parser.js';
import type { Http1Pool } from '../http1/pool.js';
import type { Http1Request } from '../http1/request.js';
import type { H2Request } from '../http2/h2-request.js';
import type { AttemptChannel, AttemptObserver, AttemptOptions, Exchange } from '../layers/types.js';
import type { UpstreamTarget } from '../net/upstream-target.js';
import type { HeaderModifier } from './compiled.js';
import { FixedTimeout } from './fixed-timeout.js';
import { H2ToHttp1 } from './h2-downgrade.js';
import { applyHeaderModifier, flatHeaderBag, type HeaderBag, objectHeaderBag } from './header-bag.js';

export interface ExchangeEdits {
  /** The backend's mesh authority: the name the resolve layer looks up. */
  readonly name: string;
  /**
   * Where the request goes if the control plane says the name is not in the mesh (as for a
   * sidecar's explicit upstream: the authority's own host and port).
   */
  readonly egress: UpstreamTarget | undefined;
  /** The new request target (path and query), or undefined to keep it. */
  readonly target: string | undefined;
  /** The new Host / :authority, or undefined to keep it. */
  readonly host: string | undefined;
  /** Edits the request headers (forwarded headers, header filters). */
  readonly editHeaders: (headers: HeaderBag) => void;
  /** Response header modifiers, in order. */
  readonly responseModifiers: readonly HeaderModifier[];
  /**
   * HTTP/2 requests: whether to send this one to the backend as HTTP/1.1 (see h2-downgrade.ts),
   * asked when it is sent (the destination, if any, is known then); and the HTTP/1 pool to use.
   */
  readonly downgrade: (destination: Destination | undefined) => boolean;
  readonly http1Pool: () => Http1Pool;
  /** The route's timeout for a backend outside the mesh (ms; NaN: none). See fixed-timeout.ts. */
  readonly fixedTimeoutMs: number;
}

/**
 * Response headers the mesh's proxies add for each other (`x-weft-*`, e.g. the policy that
 * denied a request): not for clients outside the mesh.
 */
function isInternal(lowerName: string): boolean {
  return lowerName.startsWith('x-weft-');
}

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
  ): AttemptChannel | undefined => {
    if (Number.isNaN(edits.fixedTimeoutMs) || self.destination !== undefined) return open(observer);
    const clock = new FixedTimeout(observer, edits.fixedTimeoutMs);
    const channel = open(clock);
    if (channel !== undefined) clock.start(channel);
    return channel;
  };
  if (req.protocol === 'http1') {
    const orig = req as Http1Request;
    const headers = [...orig.head.headers];
    const bag = flatHeaderBag(headers);
    edits.editHeaders(bag);
    if (edits.host !== undefined) bag.set('host', edits.host);
    const head: MessageHead = {
      ...orig.head,
      headers,
      target: edits.target ?? orig.head.target,
      host: edits.host?.toLowerCase() ?? orig.head.host,
    };
    const conn = boundOverlay(orig.conn, {
      writeHead: (h: MessageHead) => {
        const out: string[] = [];
        for (let i = 0; i < h.headers.length; i += 2) {
          const name = h.headers[i] as string;
          if (!isInternal(name.toLowerCase())) out.push(name, h.headers[i + 1] as string);
        }
        const rb = flatHeaderBag(out);
        for (const m of edits.responseModifiers) applyHeaderModifier(rb, m);
        orig.conn.writeHead({ ...h, headers: out });
      },
    });
    const overrides: Record<string, unknown> = { head, conn, name: edits.name, egress: edits.egress, path };
    const derived = overlay(req, overrides);
    overrides.attempts = attempts(derived);
    return derived;
  }
  const orig = req as H2Request;
  const headers = { ...(orig as unknown as { headers: OutgoingHttpHeaders }).headers };
  edits.editHeaders(objectHeaderBag(headers));
  if (edits.host !== undefined) headers[':authority'] = edits.host;
  if (edits.target !== undefined) headers[':path'] = edits.target;
  const stream = boundOverlay(orig.stream, {
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
      return h2Attempts.call(derived, observer, options);
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

/** The lower-case names of the request's headers (to find the ones to strip). */
export function requestHeaderNames(req: Exchange): string[] {
  if (req.protocol === 'http1') {
    const list = (req as Http1Request).head.headers;
    const out: string[] = [];
    for (let i = 0; i < list.length; i += 2) out.push((list[i] as string).toLowerCase());
    return out;
  }
  return Object.keys((req as unknown as { headers: OutgoingHttpHeaders }).headers);
}
