/**
 * The HTTP/1 attempt channel: each attempt is an {@link Http1Attempt} that the pool carries
 * like a client request; its response is relayed to the client or dropped (a retry: the
 * upstream connection is closed) at the response head, and the request body is teed into a
 * replay buffer (up to 64 KiB) so a later attempt can send it again. Plain objects and
 * callbacks: no promise and no AbortController per request.
 */
import type { Socket } from 'node:net';
import { type AttemptOutcome, MAX_RETRY_BODY_BYTES, ReplayBuffer, type WeftError } from '@weft/core';
import type { AttemptChannel, AttemptObserver, AttemptOptions, ExchangeTelemetry } from '../layers/types.js';
import { DialError } from '../net/connector.js';
import type { UpstreamTarget } from '../net/upstream-target.js';
import type { TraceHeaders } from '../telemetry/propagation.js';
import type { BodyTarget } from './body-target.js';
import type { ClientConnection } from './client-connection.js';
import type { MessageHead } from './head-parser.js';
import type { ClientBodyMode } from './serialize.js';
import type { ResponseSink, UpstreamExchange } from './upstream-connection.js';

const RESET: AttemptOutcome = { type: 'reset' };
const CONNECT_FAILURE: AttemptOutcome = { type: 'connect-failure' };
const REJECTED: AttemptOutcome = { type: 'rejected' };

/** What the attempts need of the client request (Http1Request). */
export interface AttemptClient {
  readonly head: MessageHead;
  readonly direction: 'outbound' | 'inbound';
  readonly telemetry: ExchangeTelemetry | undefined;
  readonly conn: ClientConnection;
  /** Called when the client goes away or its request breaks; set by the attempts. */
  abortUpstream: () => void;
}

/** One client request's attempts on HTTP/1; it is also the body tee the client connection streams into. */
export class Http1Attempts implements AttemptChannel, BodyTarget {
  private replay: ReplayBuffer | undefined;
  private bodyComplete: boolean;
  private pumping = false;
  /** The upstream the body currently streams to. */
  private current: BodyTarget | undefined;
  private paused: (() => void) | undefined;
  private active: Http1Attempt | undefined;
  readonly clientTimeoutMs = Number.NaN;

  constructor(
    readonly client: AttemptClient,
    readonly observer: AttemptObserver,
    readonly options: AttemptOptions,
  ) {
    this.bodyComplete = client.head.framing.kind === 'none';
    client.abortUpstream = this.clientGone;
  }

  // ---- AttemptChannel ----

  /** Body bytes seen so far (a declared Content-Length over 64 KiB counts in full: never replayable). */
  get bodyBytes(): number {
    const f = this.client.head.framing;
    if (f.kind === 'length' && f.length > MAX_RETRY_BODY_BYTES) return f.length;
    return this.replay?.bytes ?? 0;
  }

  get bodyReplayable(): boolean {
    const f = this.client.head.framing;
    if (f.kind === 'length' && f.length > MAX_RETRY_BODY_BYTES) return false;
    return this.replay?.replayable ?? true;
  }

  get sent(): boolean {
    return this.active?.isSent === true;
  }

  send(target: UpstreamTarget, attempt: number, fresh: boolean): void {
    const a = new Http1Attempt(this, attempt);
    this.active = a;
    this.client.conn.pool.forward(a, target, fresh, this.options.connections);
  }

  cancelAttempt(): void {
    this.active?.cancel();
  }

  close(): void {
    this.active?.cancel();
    this.active = undefined;
  }

  // ---- the client went away ----

  private readonly clientGone = (): void => {
    const a = this.active;
    if (a?.relaying) {
      a.cancel();
      this.observer.ended();
      return;
    }
    a?.cancel();
    this.observer.clientGone();
  };

  // ---- BodyTarget: the client's body, teed into the replay buffer and the current attempt ----

  write(chunk: Buffer): boolean {
    this.replay ??= new ReplayBuffer();
    this.replay.push(chunk);
    if (this.current === undefined) return false; // between attempts: wait for the next one
    return this.current.write(chunk);
  }

  end(): void {
    this.bodyComplete = true;
    this.current?.end();
  }

  onDrain(resume: () => void): void {
    // Kept as well: if this attempt is dropped before its socket drains, the next one resumes.
    this.paused = resume;
    this.current?.onDrain(resume);
  }

  /** An attempt's upstream connection wrote the request head: give it the body. */
  attachBody(target: BodyTarget): void {
    this.current = target;
    if (!this.pumping) {
      this.pumping = true;
      this.client.conn.attachBody(this);
      return;
    }
    for (const chunk of this.replay?.body ?? [])
      target.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    if (this.bodyComplete) target.end();
    const resume = this.paused;
    this.paused = undefined;
    resume?.();
  }

  /** An attempt is over for the body: its upstream gets no more bytes. */
  detachBody(target: BodyTarget | undefined): void {
    if (target === undefined || this.current !== target) return;
    this.current = undefined;
    if (!this.bodyComplete) target.end();
  }
}

enum AttemptState {
  Connecting = 0,
  Sent = 1,
  Relaying = 2,
  Over = 3,
}

/** One attempt: an UpstreamExchange for the pool, and the sink its response is written to. */
class Http1Attempt implements UpstreamExchange, ResponseSink {
  readonly head: MessageHead;
  readonly traceHeaders: TraceHeaders | undefined;
  readonly attempt: number;
  readonly direction: 'outbound' | 'inbound';
  /** Set by the upstream connection carrying this attempt. */
  abortUpstream: () => void = noop;
  private state = AttemptState.Connecting;
  private bodyTarget: BodyTarget | undefined;

  constructor(
    private readonly parent: Http1Attempts,
    attempt: number,
  ) {
    const client = parent.client;
    // Sent from the parsed head as it arrived: the upstream connection writes the trace headers
    // and (balanced requests) the attempt number in place of the client's own, never copying it.
    this.head = client.head;
    this.direction = client.direction;
    this.traceHeaders = client.telemetry?.traceHeaders;
    this.attempt = parent.options.markAttempt ? attempt : 0;
  }

  get isSent(): boolean {
    return this.state === AttemptState.Sent;
  }

  get relaying(): boolean {
    return this.state === AttemptState.Relaying;
  }

  /** Gives the attempt up without a report (a timeout, a dropped response, the client left). */
  cancel(): void {
    if (this.state === AttemptState.Over) return;
    this.state = AttemptState.Over;
    this.parent.detachBody(this.bodyTarget);
    this.abortUpstream();
  }

  // ---- UpstreamExchange ----

  get abandoned(): boolean {
    return this.state !== AttemptState.Connecting;
  }

  get conn(): ResponseSink {
    return this;
  }

  upstreamFailed(error: WeftError, stale: boolean): void {
    if (this.state === AttemptState.Relaying) {
      this.state = AttemptState.Over;
      this.parent.client.conn.destroy();
      this.parent.observer.ended();
      return;
    }
    if (this.state === AttemptState.Over) return;
    const sent = this.state === AttemptState.Sent;
    const refused =
      error instanceof DialError &&
      (error.reason === 'identity-mismatch' || error.reason === 'no-certificate');
    this.state = AttemptState.Over;
    this.parent.detachBody(this.bodyTarget);
    this.parent.observer.failed(
      refused ? REJECTED : sent ? RESET : CONNECT_FAILURE,
      sent,
      error,
      stale && sent,
    );
  }

  // ---- ResponseSink ----

  get socket(): Socket {
    return this.parent.client.conn.socket;
  }

  get mode(): ClientBodyMode {
    return this.state === AttemptState.Relaying ? this.parent.client.conn.mode : 'raw';
  }

  attachBody(target: BodyTarget): void {
    if (this.state !== AttemptState.Connecting) {
      this.abortUpstream(); // connected after this attempt was given up (timeout, client gone)
      return;
    }
    this.state = AttemptState.Sent;
    this.bodyTarget = target;
    this.parent.attachBody(target);
  }

  writeInterim(head: MessageHead): void {
    if (this.state === AttemptState.Sent) this.parent.client.conn.writeInterim(head);
  }

  writeHead(head: MessageHead): void {
    if (this.state !== AttemptState.Sent) return;
    if (this.parent.observer.head({ type: 'response', status: head.status })) {
      this.state = AttemptState.Relaying;
      this.parent.client.conn.writeHead(head);
      return;
    }
    this.cancel(); // retried: drop the response with its connection
  }

  flushHead(): void {
    if (this.state === AttemptState.Relaying) this.parent.client.conn.flushHead();
  }

  writeBody(chunk: Buffer): boolean {
    return this.state === AttemptState.Relaying ? this.parent.client.conn.writeBody(chunk) : true;
  }

  endResponse(): void {
    if (this.state !== AttemptState.Relaying) return;
    this.state = AttemptState.Over;
    this.parent.client.conn.endResponse();
    this.parent.observer.ended();
  }

  takeOver(): { socket: Socket; pending: Buffer } {
    return this.parent.client.conn.takeOver();
  }

  destroy(): void {
    if (this.state !== AttemptState.Relaying) return;
    this.state = AttemptState.Over;
    this.parent.client.conn.destroy();
    this.parent.observer.ended();
  }
}

function noop(): void {}
