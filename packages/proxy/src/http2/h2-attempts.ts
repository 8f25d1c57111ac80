/**
 * The HTTP/2 and gRPC attempt channel: each attempt is a stream on a pooled upstream session.
 * The client's body is teed into a replay buffer (up to 64 KiB) so a later attempt can send it
 * again; each response is judged at its head, before anything reaches the client, and is then
 * relayed or dropped (a retry). A gRPC failure that comes as a trailers-only response carries
 * its grpc-status in that head, so it can be retried like an HTTP status. Plain objects and
 * callbacks: no promise (with a connected session) and no AbortController per request.
 */
import {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  constants,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
  type ServerHttp2Stream,
} from 'node:http2';
import { ATTEMPT_HEADER, type AttemptOutcome, describeError, ReplayBuffer, WeftError } from '@weft/core';
import type { AttemptChannel, AttemptObserver, AttemptOptions, ResponseOutcome } from '../layers/types.js';
import { DialError } from '../net/connector.js';
import { guard } from '../net/guard.js';
import type { UpstreamTarget } from '../net/upstream-target.js';
import { grpcTimeoutMs } from './grpc-timeout.js';
import { cancelUpstream } from './h2-cancel.js';
import type { H2Pool } from './h2-pool.js';

const RESET: AttemptOutcome = { type: 'reset' };
const REFUSED: AttemptOutcome = { type: 'refused-stream' };
const CONNECT_FAILURE: AttemptOutcome = { type: 'connect-failure' };
const REJECTED: AttemptOutcome = { type: 'rejected' };

/** What the attempts need of the client stream's request (H2Request). */
export interface H2AttemptClient {
  readonly stream: ServerHttp2Stream;
  /** The client's stream, for the attempts to read the request body from (subscribed at once). */
  bodyStream(): ServerHttp2Stream;
  readonly pool: H2Pool;
  header(lower: string): string | undefined;
  /** The request headers to send upstream, with `extra` set. */
  upstreamHeaders(extra?: Readonly<Record<string, string>>): OutgoingHttpHeaders;
  /** Counts the upstream's reset of `up`. */
  watchUpstream(up: ClientHttp2Stream): void;
  /** Relays the response of `up` (its head just arrived) to the client. */
  relayResponse(up: ClientHttp2Stream, headers: IncomingHttpHeaders, flags: number): void;
}

/** One client stream's attempts on HTTP/2. */
export class H2Attempts implements AttemptChannel {
  private readonly replay = new ReplayBuffer();
  private bodyComplete = false;
  /** Set once no attempt will take the body any more: further bytes are read and dropped. */
  private dropping = false;
  /** The upstream stream the body currently goes to. */
  private current: ClientHttp2Stream | undefined;
  private active: H2Attempt | undefined;
  readonly clientTimeoutMs: number;

  constructor(
    readonly client: H2AttemptClient,
    readonly observer: AttemptObserver,
    readonly options: AttemptOptions,
  ) {
    this.clientTimeoutMs =
      grpcTimeoutMs(client.header('content-type'), client.header('grpc-timeout')) ?? Number.NaN;
    const down = client.bodyStream();
    down.on('data', (chunk: Buffer) => this.bodyChunk(chunk));
    down.once('end', () => {
      this.bodyComplete = true;
      this.current?.end();
    });
    down.once('close', () => this.clientGone());
  }

  // ---- AttemptChannel ----

  get bodyBytes(): number {
    return this.replay.bytes;
  }

  get bodyReplayable(): boolean {
    return this.replay.replayable;
  }

  get sent(): boolean {
    return this.active?.isSent === true;
  }

  send(target: UpstreamTarget, attempt: number, _fresh: boolean): void {
    const a = new H2Attempt(this, attempt);
    this.active = a;
    const pool = this.client.pool;
    const ready = pool.ready(target);
    if (ready !== undefined) {
      a.open(ready);
      return;
    }
    pool.session(target, this.options.connections?.idleTimeoutMs).then(
      (session) => a.open(session),
      (err: unknown) => a.connectFailed(err),
    );
  }

  cancelAttempt(): void {
    this.active?.cancel();
  }

  /** No attempt will send the body any more (the request failed): read and drop the rest. */
  close(): void {
    this.active?.cancel();
    this.dropping = true;
    this.current = undefined;
    this.client.stream.resume();
  }

  // ---- body ----

  /** An attempt's stream is open: send it the body held so far, then the rest as it comes. */
  attachBody(up: ClientHttp2Stream): void {
    this.current = up;
    for (const chunk of this.replay.body)
      up.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    if (this.bodyComplete) up.end();
    this.client.stream.resume();
  }

  /** An attempt is over for the body: its stream gets no more bytes. */
  detachBody(up: ClientHttp2Stream | undefined): void {
    if (up !== undefined && this.current === up) this.current = undefined;
  }

  private bodyChunk(chunk: Buffer): void {
    if (this.dropping) return;
    this.replay.push(chunk);
    const up = this.current;
    const down = this.client.stream;
    // Between attempts the body waits in the client's flow-control window.
    if (up === undefined) {
      down.pause();
      return;
    }
    if (!up.write(chunk)) {
      down.pause();
      up.once('drain', () => {
        if (this.current === up) down.resume();
      });
    }
  }

  /** The client's stream closed: the relayed response is over, or the attempt in flight is given up. */
  private clientGone(): void {
    const a = this.active;
    if (a?.relaying === true) {
      this.observer.ended();
      return;
    }
    a?.cancel();
    this.observer.clientGone();
  }
}

enum AttemptState {
  Connecting = 0,
  Sent = 1,
  Relaying = 2,
  Over = 3,
}

/** One attempt: a stream on the endpoint's session, judged at its response head. */
class H2Attempt {
  private state = AttemptState.Connecting;
  private up: ClientHttp2Stream | undefined;

  constructor(
    private readonly parent: H2Attempts,
    private readonly attempt: number,
  ) {}

  get isSent(): boolean {
    return this.state === AttemptState.Sent;
  }

  get relaying(): boolean {
    return this.state === AttemptState.Relaying;
  }

  /** Gives the attempt up without a report: cancels its upstream stream. */
  cancel(): void {
    if (this.state === AttemptState.Over || this.state === AttemptState.Relaying) return;
    this.state = AttemptState.Over;
    const up = this.up;
    if (up !== undefined) {
      this.parent.detachBody(up);
      cancelUpstream(up);
    }
  }

  open(session: ClientHttp2Session): void {
    if (this.state !== AttemptState.Connecting) return; // timed out or the client left while connecting
    const client = this.parent.client;
    const extra = this.parent.options.markAttempt ? { [ATTEMPT_HEADER]: String(this.attempt) } : undefined;
    let up: ClientHttp2Stream;
    try {
      up = guard(session.request(client.upstreamHeaders(extra), { endStream: false }));
    } catch (err) {
      // The session is closing (GOAWAY) or gone: no stream was opened, so nothing was sent.
      this.report(REFUSED, false, describeError(err));
      return;
    }
    this.up = up;
    this.state = AttemptState.Sent;
    up.on('response', (headers, flags) => this.head(up, headers, flags));
    // guard() took the 'error' events: the close handler classifies how the stream ended.
    client.watchUpstream(up);
    up.on('close', () => this.closed(up));
    this.parent.attachBody(up);
  }

  connectFailed(err: unknown): void {
    if (this.state !== AttemptState.Connecting) return;
    const rejected =
      err instanceof DialError && (err.reason === 'identity-mismatch' || err.reason === 'no-certificate');
    this.report(rejected ? REJECTED : CONNECT_FAILURE, false, describeError(err));
  }

  private head(up: ClientHttp2Stream, headers: IncomingHttpHeaders, flags: number): void {
    if (this.state !== AttemptState.Sent) return;
    const status = Number(headers[':status'] ?? 502);
    const grpc = headers['grpc-status'];
    const grpcStatus = typeof grpc === 'string' && /^\d+$/.test(grpc) ? Number(grpc) : undefined;
    const outcome: ResponseOutcome =
      grpcStatus === undefined ? { type: 'response', status } : { type: 'response', status, grpcStatus };
    if (this.parent.observer.head(outcome)) {
      this.state = AttemptState.Relaying;
      this.parent.client.relayResponse(up, headers, flags);
      return;
    }
    this.cancel(); // retried: drop this response
  }

  /** The upstream stream closed. Before a response head that is a refused stream or a reset. */
  private closed(up: ClientHttp2Stream): void {
    if (this.state !== AttemptState.Sent) return;
    if (up.rstCode === constants.NGHTTP2_REFUSED_STREAM) {
      // REFUSED_STREAM (or a GOAWAY below this stream's id): the server processed nothing.
      this.report(REFUSED, false, 'the upstream refused the stream');
      return;
    }
    this.report(RESET, true, `the upstream stream closed before a response (code ${up.rstCode})`);
  }

  private report(outcome: AttemptOutcome, sent: boolean, detail: string): void {
    this.state = AttemptState.Over;
    this.parent.detachBody(this.up);
    this.parent.observer.failed(outcome, sent, new WeftError('UNAVAILABLE', detail), false);
  }
}
