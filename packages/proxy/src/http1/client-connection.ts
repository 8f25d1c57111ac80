/** What a request needs of the client connection it arrived on (implemented by Http1ServerConnection). */
import type { WeftError } from '@weft/core';
import type { PeerInfo } from '../layers/types.js';
import type { UpstreamTarget } from '../net/upstream-target.js';
import type { BodyTarget } from './body-target.js';
import type { Http1Pool } from './pool.js';
import type { ResponseSink } from './upstream-connection.js';

/** Per connection facts: who the peer is and where its requests go. */
export interface Http1ConnectionInfo {
  readonly peer: PeerInfo;
  readonly name: string;
  readonly port: number;
  readonly egress: UpstreamTarget | undefined;
  /** The SNI name of the client's TLS handshake (gateway HTTPS ports; '' or absent otherwise). */
  readonly servername?: string;
}

/** Where responses go, the body source, and the pool its upstream exchanges use. */
export interface ClientConnection extends ResponseSink {
  readonly info: Http1ConnectionInfo;
  readonly pool: Http1Pool;
  /** Answers the current request locally. */
  fail(error: WeftError, extraHeaders?: readonly string[]): void;
  /** Streams the request body into `target` (once the upstream wrote the request head). */
  attachBody(target: BodyTarget): void;
}
