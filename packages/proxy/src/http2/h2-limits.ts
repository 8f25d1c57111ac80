/**
 * HTTP/2 limits against hostile peers (CVE-2023-44487 rapid reset, SETTINGS/PING/CONTINUATION
 * floods, HPACK bombs): the defaults, their mapping onto Node's own http2 options (nghttp2
 * enforces those), and the per-connection reset budget Node has no option for.
 */
import { type ClientSessionOptions, constants, type ServerOptions } from 'node:http2';

/** HTTP/2 limits, per connection unless said otherwise. Parsed once (CLI flags) into this shape. */
export interface H2Limits {
  /** SETTINGS_MAX_CONCURRENT_STREAMS we advertise to clients; nghttp2 refuses streams beyond it. */
  readonly maxConcurrentStreams: number;
  /** Streams a client may reset (RST_STREAM with a non-zero code) per `resetIntervalMs` before GOAWAY ENHANCE_YOUR_CALM. */
  readonly maxResetsPerInterval: number;
  /** The window of `maxResetsPerInterval`, in ms. */
  readonly resetIntervalMs: number;
  /** Streams refused at creation (e.g. over the concurrency limit) before the session is closed (Node `maxSessionRejectedStreams`). */
  readonly maxRejectedStreams: number;
  /** Invalid frames tolerated before the session is closed (Node `maxSessionInvalidFrames`). */
  readonly maxInvalidFrames: number;
  /** Header fields per header list (Node `maxHeaderListPairs`, pseudo-headers included); more refuses the stream. */
  readonly maxHeaderListPairs: number;
  /** Entries in one SETTINGS frame (Node `maxSettings`). */
  readonly maxSettings: number;
  /** Unacknowledged PINGs the proxy itself may have in flight (Node `maxOutstandingPings`). */
  readonly maxOutstandingPings: number;
  /** nghttp2's memory budget for one session, in MiB (Node `maxSessionMemory`); above it new streams are refused. */
  readonly maxSessionMemoryMb: number;
  /** HPACK dynamic table size we accept from peers (SETTINGS_HEADER_TABLE_SIZE). */
  readonly headerTableSize: number;
}

export const DEFAULT_H2_LIMITS: H2Limits = {
  maxConcurrentStreams: 250,
  maxResetsPerInterval: 200,
  resetIntervalMs: 1000,
  maxRejectedStreams: 100,
  maxInvalidFrames: 100,
  maxHeaderListPairs: 128,
  maxSettings: 32,
  maxOutstandingPings: 10,
  maxSessionMemoryMb: 10,
  headerTableSize: 4096,
};

/** Options for the proxy's h2 servers (clients of the sidecar): `maxHeaderListSize` is in bytes. */
export function serverOptions(limits: H2Limits, maxHeaderListSize: number): ServerOptions {
  return {
    settings: {
      enablePush: false,
      maxHeaderListSize,
      maxConcurrentStreams: limits.maxConcurrentStreams,
      headerTableSize: limits.headerTableSize,
    },
    maxSessionInvalidFrames: limits.maxInvalidFrames,
    maxSessionRejectedStreams: limits.maxRejectedStreams,
    maxHeaderListPairs: limits.maxHeaderListPairs,
    maxSettings: limits.maxSettings,
    maxOutstandingPings: limits.maxOutstandingPings,
    maxSessionMemory: limits.maxSessionMemoryMb,
  };
}

/** Options for the proxy's upstream h2 sessions (to apps and other proxies): the same bounds on what the upstream sends. */
export function clientOptions(limits: H2Limits, maxHeaderListSize: number): ClientSessionOptions {
  return {
    settings: { enablePush: false, maxHeaderListSize, headerTableSize: limits.headerTableSize },
    maxHeaderListPairs: limits.maxHeaderListPairs,
    maxSettings: limits.maxSettings,
    maxOutstandingPings: limits.maxOutstandingPings,
    maxSessionMemory: limits.maxSessionMemoryMb,
  };
}

/** Human-readable names of RST_STREAM / GOAWAY error codes (RFC 9113 §7), for metric labels. */
const CODE_NAMES: Readonly<Record<number, string>> = {
  [constants.NGHTTP2_NO_ERROR]: 'no_error',
  [constants.NGHTTP2_PROTOCOL_ERROR]: 'protocol_error',
  [constants.NGHTTP2_INTERNAL_ERROR]: 'internal_error',
  [constants.NGHTTP2_FLOW_CONTROL_ERROR]: 'flow_control_error',
  [constants.NGHTTP2_SETTINGS_TIMEOUT]: 'settings_timeout',
  [constants.NGHTTP2_STREAM_CLOSED]: 'stream_closed',
  [constants.NGHTTP2_FRAME_SIZE_ERROR]: 'frame_size_error',
  [constants.NGHTTP2_REFUSED_STREAM]: 'refused_stream',
  [constants.NGHTTP2_CANCEL]: 'cancel',
  [constants.NGHTTP2_COMPRESSION_ERROR]: 'compression_error',
  [constants.NGHTTP2_CONNECT_ERROR]: 'connect_error',
  [constants.NGHTTP2_ENHANCE_YOUR_CALM]: 'enhance_your_calm',
  [constants.NGHTTP2_INADEQUATE_SECURITY]: 'inadequate_security',
  [constants.NGHTTP2_HTTP_1_1_REQUIRED]: 'http_1_1_required',
};

/** The metric label for an HTTP/2 error code: its RFC name, or `unknown` (codes are peer-chosen, so unbounded). */
export function codeName(code: number): string {
  return CODE_NAMES[code] ?? 'unknown';
}

/** A bounded label for a session error: its stable `code` (Node's ERR_HTTP2_*, a WeftError code), else `unknown`. */
export function errorCode(err: Error): string {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && /^[A-Z][A-Z0-9_]{1,60}$/.test(code) ? code : 'unknown';
}

/**
 * Counts one connection's client resets in fixed windows; `hit()` says when the budget is spent.
 * Pure (time is passed in) so the window logic is tested without sockets.
 */
export class ResetBudget {
  private windowStart = Number.NEGATIVE_INFINITY;
  private count = 0;

  constructor(
    private readonly max: number,
    private readonly intervalMs: number,
  ) {}

  /** Records one reset at `nowMs`; true when this one exceeds the budget of its window. */
  hit(nowMs: number): boolean {
    if (nowMs - this.windowStart >= this.intervalMs) {
      this.windowStart = nowMs;
      this.count = 0;
    }
    this.count++;
    return this.count > this.max;
  }
}
