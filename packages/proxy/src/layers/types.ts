/**
 * The request path: one protocol-neutral {@link Exchange} per request flowing through a chain
 * of `(next) => handler` layers. HTTP/1 and HTTP/2 sit behind it as adapters
 * ({@link AttemptChannel}); no layer knows which protocol carries the request.
 */

import type { Destination__Output as Destination } from '@weft/api';
import type { AttemptOutcome, WeftError } from '@weft/core';
import type { ConnectionPolicy, UpstreamTarget } from '../net/upstream-target.js';
import type { TraceHeaders } from '../telemetry/propagation.js';

/** Who sent the request, as far as the proxy knows. */
export interface PeerInfo {
  /** The SPIFFE ID from a verified client certificate; undefined for plaintext peers. */
  readonly identity: string | undefined;
  /** The peer's IP address. */
  readonly address: string;
}

/**
 * What the layers and the protocol code tell a request's telemetry (spans and golden
 * metrics). Implemented by RequestTelemetry; every method may be called more than once and
 * acts once.
 */
export interface ExchangeTelemetry {
  /** Trace headers for the request being written upstream now; undefined: forward as arrived. */
  readonly traceHeaders: TraceHeaders | undefined;
  /** The route and backend the traffic path chose. */
  routed(route: string, backend: string): void;
  /** An attempt to `upstream` starts (1 for the first; each retry is a new attempt). */
  attemptStarted(upstream: UpstreamTarget, attempt: number): void;
  /** The current attempt ended as the traffic path judged it (a response, or why none came). */
  attemptEnded(outcome: AttemptOutcome, detail?: string): void;
  /** The response head went to the client (`error` set for a response made by the proxy). */
  responded(status: number, error?: WeftError): void;
  /** The gRPC status of the response (its trailers, or headers for trailers-only responses). */
  grpcStatus(code: number): void;
  /** The exchange is over (response complete, or the client or upstream went away). */
  finished(): void;
}

/**
 * One HTTP request (HTTP/1.x or HTTP/2) as the layers see it. Layers read its metadata, set
 * `destination` / `upstream`, and either pass it on or answer it locally with `fail`. The
 * terminal handlers send it with `attempts` (retryable) or `forward` (once).
 */
export interface Exchange {
  readonly protocol: 'http1' | 'h2';
  readonly method: string;
  /** The request target (path and query), normalized. */
  readonly path: string;
  /** The Host header or :authority. */
  readonly authority: string;
  readonly peer: PeerInfo;
  /** 'outbound' (from the local app) or 'inbound' (from another proxy or a plaintext client). */
  readonly direction: 'outbound' | 'inbound';
  /** Outbound: the discovery name to resolve (an authority or ip:port). Inbound: ''. */
  readonly name: string;
  /** Where the request goes when the name is outside the mesh (outbound), or the app (inbound). */
  readonly egress: UpstreamTarget | undefined;
  /** The target port: the destination port outbound, the app port inbound. */
  readonly port: number;
  /** Monotonic start time in ms. */
  readonly startedAt: number;
  /** The value of request header `lower` (lowercase name; repeated values joined with ", "). */
  header(lower: string): string | undefined;
  /** Set by the resolve layer (outbound, meshed destinations). */
  destination: Destination | undefined;
  /** Set by the fixed-upstream or balancing layer; read by the terminal handler. */
  upstream: UpstreamTarget | undefined;
  /** Set by the telemetry layer; protocol code reports to it. */
  telemetry: ExchangeTelemetry | undefined;
  /**
   * Opens this exchange's attempts, reported to `observer`; undefined when the exchange cannot
   * be attempted more than once (a protocol upgrade or CONNECT, which are forwarded once).
   */
  attempts(observer: AttemptObserver, options: AttemptOptions): AttemptChannel | undefined;
  /** Sends the request once to `upstream` over the request's own protocol (upgrades, CONNECT). */
  forward(upstream: UpstreamTarget): void;
  /** Answers locally with the status for `error` and a text body naming why. */
  fail(error: WeftError, extraHeaders?: readonly string[]): void;
}

/** How the traffic path wants attempts made. */
export interface AttemptOptions {
  /** Set the attempt number in the `x-weft-attempt` header (outbound, balanced requests). */
  readonly markAttempt: boolean;
  /** The destination's connection limit and idle timeout, for the upstream pools. */
  readonly connections: ConnectionPolicy | undefined;
  /**
   * False: the adapter may decline (return undefined from `attempts`) when its protocol has no
   * use for the single-attempt path (HTTP/2 has no keep-alive race: a refused stream is a
   * REFUSED_STREAM, never a stale connection).
   */
  readonly retries: boolean;
}

/** A response outcome, judged at the response head. */
export type ResponseOutcome = Extract<AttemptOutcome, { type: 'response' }>;

/**
 * The protocol side of one exchange's attempts (HTTP/1 or HTTP/2), driven by the traffic path.
 * The adapter holds the request body for replays (up to 64 KiB) and reports each attempt to
 * its {@link AttemptObserver} exactly once: `head` (a response head) or `failed`.
 */
export interface AttemptChannel {
  /** Body bytes seen so far. */
  readonly bodyBytes: number;
  /** True while every body byte seen is held for a replay. */
  readonly bodyReplayable: boolean;
  /** Whether the attempt in flight wrote anything upstream. */
  readonly sent: boolean;
  /** A timeout the client set on the request itself (gRPC's `grpc-timeout`), in ms; NaN: none. */
  readonly clientTimeoutMs: number;
  /** Sends attempt `attempt` (1-based) to `target`; `fresh`: on a new connection. */
  send(target: UpstreamTarget, attempt: number, fresh: boolean): void;
  /** Gives up the attempt in flight (a timeout): cancels its upstream stream or connection; reports nothing. */
  cancelAttempt(): void;
  /** No attempt will be made any more (the request is answered locally): drop the rest of the body. */
  close(): void;
}

/** What an {@link AttemptChannel} reports; implemented by the traffic path's per-request state. */
export interface AttemptObserver {
  /** The attempt in flight got a response head: true to relay it (final), false to drop it. */
  head(outcome: ResponseOutcome): boolean;
  /**
   * The attempt in flight ended without a relayed head, with `error` (what a single-attempt
   * request answers). `stale`: the reused keep-alive connection it went out on closed before
   * any response byte (the server had timed it out).
   */
  failed(outcome: AttemptOutcome, sent: boolean, error: WeftError, stale: boolean): void;
  /** The relayed response is over (complete, or the client or upstream went away). */
  ended(): void;
  /** The client went away before a response was relayed. */
  clientGone(): void;
}

/** Handles one request: forwards it or fails it. Never throws. */
export type Handler = (req: Exchange) => void;

/** A middleware: wraps the next handler. */
export type Layer = (next: Handler) => Handler;

/** Composes layers outermost-first around a terminal handler. */
export function chain(layers: readonly Layer[], terminal: Handler): Handler {
  let handler = terminal;
  for (let i = layers.length - 1; i >= 0; i--) handler = layers[i]!(handler);
  return handler;
}

/** Maps an error to its HTTP status: the one place for this mapping on the HTTP edge. */
export function statusForError(error: WeftError): number {
  switch (error.code) {
    case 'PERMISSION_DENIED':
      return 403;
    case 'UNAVAILABLE':
      return 503;
    case 'DEADLINE_EXCEEDED':
      return 504;
    case 'INVALID_ARGUMENT':
      return 400;
    case 'UNAUTHENTICATED':
      return 401;
    case 'RESOURCE_EXHAUSTED':
      return 503;
    case 'NOT_FOUND':
      return 404;
    default:
      return 502;
  }
}
