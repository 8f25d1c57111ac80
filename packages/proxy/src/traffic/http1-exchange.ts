/**
 * HTTP/1 attempts for the traffic path: each attempt is an UpstreamExchange that the pool
 * carries like a client request; its response is relayed to the client or dropped (a retry)
 * at the response head, and the request body is teed into a replay buffer (up to 64 KiB) so
 * a later attempt can send it again.
 */
import type { Socket } from 'node:net';
import {
  ATTEMPT_HEADER,
  type AttemptOutcome,
  type AttemptTimer,
  type Clock,
  MAX_RETRY_BODY_BYTES,
  ReplayBuffer,
  type RouteRequest,
  type TimerHandle,
  type WeftError,
} from '@weft/core';
import type { BodyTarget } from '../http1/body-target.js';
import type { MessageHead } from '../http1/head-parser.js';
import type { ConnectionPolicy } from '../http1/pool.js';
import type { ClientBodyMode } from '../http1/serialize.js';
import type { Http1Request } from '../http1/server-connection.js';
import type { ResponseSink, UpstreamExchange } from '../http1/upstream-connection.js';
import { upstreamTarget } from '../layers/types.js';
import { DialError } from '../net/connector.js';
import { replaceTraceHeaders, type TraceHeaders } from '../telemetry/propagation.js';
import type { EndpointMessage } from './destination-traffic.js';
import type { AttemptJudge, AttemptResponse, Exchange } from './traffic-pipeline.js';

/** The upstream target of an endpoint: its proxy's inbound port with mTLS when meshed. */
export function endpointTarget(e: EndpointMessage) {
  const meshed = e.meshed?.inboundPort ?? 0;
  return upstreamTarget(e.address, e.port, meshed > 0 ? e.identity : '', meshed);
}

/** A header's values by lower-case name, repeated ones joined with ", ". */
function joinedHeader(headers: readonly string[], lower: string): string | undefined {
  let out: string | undefined;
  for (let i = 0; i < headers.length; i += 2) {
    if ((headers[i] as string).toLowerCase() !== lower) continue;
    const value = headers[i + 1] as string;
    out = out === undefined ? value : `${out}, ${value}`;
  }
  return out;
}

/** One client request's attempts on HTTP/1. */
export class Http1Exchange implements Exchange {
  readonly request: RouteRequest;
  readonly signal: AbortSignal;
  private readonly controller = new AbortController();
  private readonly replay = new ReplayBuffer();
  private bodyComplete: boolean;
  private pumping = false;
  /** The upstream the body currently streams to, and whether it was told the body ended. */
  private current: BodyTarget | undefined;
  private paused: (() => void) | undefined;
  private active: Http1Attempt | undefined;
  /** Streams client body bytes into the replay buffer and the current attempt. */
  private readonly tee: BodyTarget = {
    write: (chunk) => {
      this.replay.push(chunk);
      if (this.current === undefined) return false; // between attempts: wait for the next one
      return this.current.write(chunk);
    },
    end: () => {
      this.bodyComplete = true;
      this.current?.end();
    },
    onDrain: (resume) => {
      // Kept as well: if this attempt is dropped before its socket drains, the next one resumes.
      this.paused = resume;
      this.current?.onDrain(resume);
    },
  };

  constructor(
    readonly client: Http1Request,
    private readonly clock: Clock,
    /** The destination's connection limit and idle timeout, for the upstream pool. */
    readonly connections?: ConnectionPolicy,
  ) {
    const headers = client.head.headers;
    this.request = {
      method: client.method,
      path: client.path,
      header: (name) => joinedHeader(headers, name),
    };
    this.signal = this.controller.signal;
    this.bodyComplete = client.head.framing.kind === 'none';
    client.abortUpstream = () => {
      this.controller.abort();
      this.active?.clientGone();
    };
  }

  /**
   * The body as far as retries care: a declared Content-Length over 64 KiB is never replayable
   * (it is streamed once, not buffered), even before a byte of it was read.
   */
  body(): { bytes: number; replayable: boolean } {
    const f = this.client.head.framing;
    if (f.kind === 'length' && f.length > MAX_RETRY_BODY_BYTES) return { bytes: f.length, replayable: false };
    return { bytes: this.replay.bytes, replayable: this.replay.replayable };
  }

  attempt(
    endpoint: EndpointMessage,
    attempt: number,
    timer: AttemptTimer,
    judge: AttemptJudge,
  ): Promise<AttemptResponse> {
    const telemetry = this.client.telemetry;
    telemetry?.attemptStarted(endpointTarget(endpoint), attempt);
    const a = new Http1Attempt(this, endpoint, attempt, judge, telemetry?.traceHeaders);
    this.active = a;
    const done = a.start(timer, this.clock);
    if (telemetry !== undefined) void done.then((r) => telemetry.attemptEnded(r.outcome, r.detail));
    return done;
  }

  /** The route and backend the traffic path chose (for spans and metrics). */
  routed(route: string, backend: string): void {
    this.client.telemetry?.routed(route, backend);
  }

  /** An attempt's upstream connection wrote the request head: give it the body. */
  attachBody(target: BodyTarget): void {
    this.current = target;
    if (!this.pumping) {
      this.pumping = true;
      this.client.conn.attachBody(this.tee);
      return;
    }
    for (const chunk of this.replay.body)
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

  /** True when every body byte seen is held (a fresh-connection resend is possible). */
  get replayable(): boolean {
    return this.body().replayable;
  }
}

/** One attempt: an UpstreamExchange for the pool, and the sink its response is written to. */
class Http1Attempt implements UpstreamExchange, ResponseSink {
  readonly head: MessageHead;
  readonly direction: 'outbound' | 'inbound';
  /** Set by the upstream connection carrying this attempt. */
  abortUpstream: () => void = noop;
  private state: 'connecting' | 'sent' | 'relaying' | 'dropping' | 'over' = 'connecting';
  private bodyTarget: BodyTarget | undefined;
  private timer: TimerHandle | undefined;
  private freshRetried = false;
  private resolve: (r: AttemptResponse) => void = noop;
  private finished: () => void = noop;
  private readonly relayed: Promise<void>;
  private readonly target;

  constructor(
    private readonly exchange: Http1Exchange,
    endpoint: EndpointMessage,
    attempt: number,
    private readonly judge: AttemptJudge,
    trace: TraceHeaders | undefined,
  ) {
    const client = exchange.client.head;
    // The attempt header is ours: a client's own value is replaced, never passed on.
    const kept: string[] = [];
    for (let i = 0; i < client.headers.length; i += 2) {
      if ((client.headers[i] as string).toLowerCase() === ATTEMPT_HEADER) continue;
      kept.push(client.headers[i] as string, client.headers[i + 1] as string);
    }
    kept.push(ATTEMPT_HEADER, String(attempt));
    this.head = { ...client, headers: trace === undefined ? kept : replaceTraceHeaders(kept, trace) };
    this.direction = exchange.client.direction;
    this.target = endpointTarget(endpoint);
    this.relayed = new Promise((r) => {
      this.finished = r;
    });
  }

  start(timer: AttemptTimer, clock: Clock): Promise<AttemptResponse> {
    const done = new Promise<AttemptResponse>((r) => {
      this.resolve = r;
    });
    if (timer.type === 'timer') this.timer = clock.setTimeout(() => this.timedOut(timer.kind), timer.ms);
    this.exchange.client.conn.pool.forward(this, this.target, false, this.exchange.connections);
    return done;
  }

  // ---- UpstreamExchange ----

  get abandoned(): boolean {
    return this.state !== 'connecting';
  }

  get conn(): ResponseSink {
    return this;
  }

  fail(error: WeftError): void {
    if (this.state === 'relaying') {
      this.exchange.client.conn.destroy();
      this.finished();
      return;
    }
    if (this.state !== 'connecting' && this.state !== 'sent') return;
    const sent = this.state === 'sent';
    const refused =
      error instanceof DialError &&
      (error.reason === 'identity-mismatch' || error.reason === 'no-certificate');
    const outcome: AttemptOutcome = refused
      ? { type: 'rejected' }
      : sent
        ? { type: 'reset' }
        : { type: 'connect-failure' };
    this.settle(outcome, sent, 'over', error.message);
  }

  /** The keep-alive race (a reused connection closed before answering): resend once on a fresh one. */
  retryOnFreshConnection(): boolean {
    if (this.freshRetried || this.state !== 'sent' || !this.exchange.replayable) return false;
    this.freshRetried = true;
    this.exchange.detachBody(this.bodyTarget);
    this.state = 'connecting';
    this.exchange.client.conn.pool.forward(this, this.target, true, this.exchange.connections);
    return true;
  }

  // ---- ResponseSink ----

  get socket(): Socket {
    return this.exchange.client.conn.socket;
  }

  get mode(): ClientBodyMode {
    return this.state === 'relaying' ? this.exchange.client.conn.mode : 'raw';
  }

  attachBody(target: BodyTarget): void {
    if (this.state !== 'connecting') {
      this.abortUpstream(); // connected after this attempt was given up (timeout, client gone)
      return;
    }
    this.state = 'sent';
    this.bodyTarget = target;
    this.exchange.attachBody(target);
  }

  writeInterim(head: MessageHead): void {
    if (this.state === 'sent') this.exchange.client.conn.writeInterim(head);
  }

  writeHead(head: MessageHead): void {
    if (this.state !== 'sent') return;
    const outcome: AttemptOutcome = { type: 'response', status: head.status };
    if (this.judge(outcome, true).type === 'stop') {
      this.clearTimer();
      this.state = 'relaying';
      this.exchange.client.conn.writeHead(head);
      this.resolve(this.response(outcome, true));
      return;
    }
    this.settle(outcome, true, 'dropping');
  }

  flushHead(): void {
    if (this.state === 'relaying') this.exchange.client.conn.flushHead();
  }

  writeBody(chunk: Buffer): boolean {
    return this.state === 'relaying' ? this.exchange.client.conn.writeBody(chunk) : true;
  }

  endResponse(): void {
    if (this.state === 'relaying') this.exchange.client.conn.endResponse();
    this.state = 'over';
    this.finished();
  }

  takeOver(): { socket: Socket; pending: Buffer } {
    return this.exchange.client.conn.takeOver();
  }

  destroy(): void {
    if (this.state === 'relaying') this.exchange.client.conn.destroy();
    this.finished();
  }

  // ---- attempt lifecycle ----

  /** The client went away: stop the upstream exchange and end this attempt. */
  clientGone(): void {
    const wasRelaying = this.state === 'relaying';
    this.abortUpstream();
    if (wasRelaying) this.finished();
    else this.settle({ type: 'reset' }, this.state === 'sent');
  }

  private timedOut(kind: 'request' | 'per-try'): void {
    this.timer = undefined;
    if (this.state !== 'connecting' && this.state !== 'sent') return;
    const sent = this.state === 'sent';
    this.abortUpstream();
    this.settle({ type: 'timeout', kind }, sent);
  }

  /** Ends an attempt whose response is not relayed. */
  private settle(
    outcome: AttemptOutcome,
    sent: boolean,
    next: 'dropping' | 'over' = 'over',
    detail?: string,
  ): void {
    this.clearTimer();
    this.state = next;
    this.exchange.detachBody(this.bodyTarget);
    this.finished();
    this.resolve(this.response(outcome, sent, detail));
  }

  private response(outcome: AttemptOutcome, sent: boolean, detail?: string): AttemptResponse {
    return {
      outcome,
      sent,
      ...(detail === undefined ? {} : { detail }),
      relay: () => this.relayed,
      discard: noop,
    };
  }

  private clearTimer(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }
}

function noop(): void {}
