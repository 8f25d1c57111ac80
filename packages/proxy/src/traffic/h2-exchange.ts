/**
 * HTTP/2 and gRPC attempts for the traffic path: each attempt is a stream on a pooled upstream
 * session. The client's body is teed into a replay buffer (up to 64 KiB) so a later attempt can
 * send it again; each response is judged at its head, before anything reaches the client, and
 * is then relayed or dropped (a retry). A gRPC failure that comes as a trailers-only response
 * carries its grpc-status in that head, so it can be retried like an HTTP status.
 */
import {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  constants,
  type IncomingHttpHeaders,
} from 'node:http2';
import {
  ATTEMPT_HEADER,
  type AttemptOutcome,
  type AttemptTimer,
  type Clock,
  describeError,
  ReplayBuffer,
  type RouteRequest,
  type TimerHandle,
} from '@weft/core';
import { cancelUpstream, type H2Request } from '../http2/h2-request.js';
import { DialError } from '../net/connector.js';
import { guard } from '../net/guard.js';
import type { EndpointMessage } from './destination-traffic.js';
import { grpcTimeoutMs } from './grpc-timeout.js';
import { endpointTarget } from './http1-exchange.js';
import type { AttemptJudge, AttemptResponse, Exchange } from './traffic-pipeline.js';

/** One client stream's attempts on HTTP/2. */
export class H2Exchange implements Exchange {
  readonly request: RouteRequest;
  readonly signal: AbortSignal;
  readonly clientTimeoutMs?: number;
  private readonly controller = new AbortController();
  private readonly replay = new ReplayBuffer();
  private bodyComplete = false;
  /** Set once no attempt will take the body any more: further bytes are read and dropped. */
  private dropping = false;
  /** The upstream stream the body currently goes to. */
  private current: ClientHttp2Stream | undefined;
  private active: H2Attempt | undefined;

  constructor(
    readonly client: H2Request,
    private readonly clock: Clock,
    /** The destination's idle timeout for the upstream sessions it opens. */
    readonly idleTimeoutMs?: number,
  ) {
    this.request = { method: client.method, path: client.path, header: (name) => client.header(name) };
    this.signal = this.controller.signal;
    const deadline = grpcTimeoutMs(client.header('content-type'), client.header('grpc-timeout'));
    if (deadline !== undefined) this.clientTimeoutMs = deadline;
    const down = client.stream;
    down.on('data', (chunk: Buffer) => this.bodyChunk(chunk));
    down.once('end', () => {
      this.bodyComplete = true;
      this.current?.end();
    });
    down.once('close', () => {
      this.controller.abort();
      this.active?.clientGone();
    });
  }

  /** Every body byte seen so far and whether all are held for a replay. */
  body(): { bytes: number; replayable: boolean } {
    return { bytes: this.replay.bytes, replayable: this.replay.replayable };
  }

  attempt(
    endpoint: EndpointMessage,
    attempt: number,
    timer: AttemptTimer,
    judge: AttemptJudge,
  ): Promise<AttemptResponse> {
    const telemetry = this.client.telemetry;
    const target = endpointTarget(endpoint);
    telemetry?.attemptStarted(target, attempt);
    const a = new H2Attempt(this, attempt, judge);
    this.active = a;
    const done = a.start(target, timer, this.clock);
    if (telemetry !== undefined) void done.then((r) => telemetry.attemptEnded(r.outcome, r.detail));
    return done;
  }

  /** The route and backend the traffic path chose (for spans and metrics). */
  routed(route: string, backend: string): void {
    this.client.telemetry?.routed(route, backend);
  }

  /** No attempt will send the body any more (the request failed): read and drop the rest. */
  drop(): void {
    this.dropping = true;
    this.current = undefined;
    this.client.stream.resume();
  }

  /** An attempt's stream is open: send it the body held so far, then the rest as it comes. */
  attachBody(up: ClientHttp2Stream): void {
    this.current = up;
    for (const chunk of this.replay.body)
      up.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    if (this.bodyComplete) up.end();
    this.client.stream.resume();
  }

  /** An attempt is over for the body: its stream gets no more bytes. */
  detachBody(up: ClientHttp2Stream): void {
    if (this.current === up) this.current = undefined;
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
}

/** One attempt: a stream on the endpoint's session, judged at its response head. */
class H2Attempt {
  private state: 'connecting' | 'sent' | 'relaying' | 'over' = 'connecting';
  private up: ClientHttp2Stream | undefined;
  private timer: TimerHandle | undefined;
  private resolve: (r: AttemptResponse) => void = noop;
  private finished: () => void = noop;
  private readonly relayed: Promise<void>;

  constructor(
    private readonly exchange: H2Exchange,
    private readonly attempt: number,
    private readonly judge: AttemptJudge,
  ) {
    this.relayed = new Promise((r) => {
      this.finished = r;
    });
  }

  start(
    target: ReturnType<typeof endpointTarget>,
    timer: AttemptTimer,
    clock: Clock,
  ): Promise<AttemptResponse> {
    const done = new Promise<AttemptResponse>((r) => {
      this.resolve = r;
    });
    if (timer.type === 'timer') this.timer = clock.setTimeout(() => this.timedOut(timer.kind), timer.ms);
    this.exchange.client.pool.session(target, this.exchange.idleTimeoutMs).then(
      (session) => this.open(session),
      (err: unknown) => this.connectFailed(err),
    );
    return done;
  }

  /** The client's stream closed: cancel the upstream stream and end this attempt. */
  clientGone(): void {
    if (this.state === 'relaying') {
      this.finished();
      return;
    }
    const sent = this.state === 'sent';
    this.cancelUpstream();
    this.settle({ type: 'reset' }, sent, 'the client went away');
  }

  private open(session: ClientHttp2Session): void {
    if (this.state !== 'connecting') return; // timed out or the client left while connecting
    let up: ClientHttp2Stream;
    try {
      up = guard(
        session.request(this.exchange.client.upstreamHeaders({ [ATTEMPT_HEADER]: String(this.attempt) }), {
          endStream: false,
        }),
      );
    } catch (err) {
      // The session is closing (GOAWAY) or gone: no stream was opened, so nothing was sent.
      this.settle({ type: 'refused-stream' }, false, describeError(err));
      return;
    }
    this.up = up;
    this.state = 'sent';
    up.on('response', (headers, flags) => this.head(up, headers, flags));
    // guard() took the 'error' events: the close handler classifies how the stream ended.
    this.exchange.client.watchUpstream(up);
    up.on('close', () => this.closed(up));
    this.exchange.attachBody(up);
  }

  private connectFailed(err: unknown): void {
    if (this.state !== 'connecting') return;
    const rejected =
      err instanceof DialError && (err.reason === 'identity-mismatch' || err.reason === 'no-certificate');
    this.settle(rejected ? { type: 'rejected' } : { type: 'connect-failure' }, false, describeError(err));
  }

  private head(up: ClientHttp2Stream, headers: IncomingHttpHeaders, flags: number): void {
    if (this.state !== 'sent') return;
    const status = Number(headers[':status'] ?? 502);
    const grpc = headers['grpc-status'];
    const grpcStatus = typeof grpc === 'string' && /^\d+$/.test(grpc) ? Number(grpc) : undefined;
    const outcome: AttemptOutcome =
      grpcStatus === undefined ? { type: 'response', status } : { type: 'response', status, grpcStatus };
    if (this.judge(outcome, true).type === 'stop') {
      this.clearTimer();
      this.state = 'relaying';
      const down = this.exchange.client.stream;
      down.once('close', () => this.finished());
      this.exchange.client.relayResponse(up, headers, flags);
      this.resolve(this.response(outcome, true));
      return;
    }
    this.cancelUpstream();
    this.settle(outcome, true);
  }

  /** The upstream stream closed. Before a response head that is a refused stream or a reset. */
  private closed(up: ClientHttp2Stream): void {
    if (this.state !== 'sent') return;
    if (up.rstCode === constants.NGHTTP2_REFUSED_STREAM) {
      // REFUSED_STREAM (or a GOAWAY below this stream's id): the server processed nothing.
      this.settle({ type: 'refused-stream' }, false, 'the upstream refused the stream');
      return;
    }
    this.settle({ type: 'reset' }, true, `the upstream stream closed before a response (code ${up.rstCode})`);
  }

  private timedOut(kind: 'request' | 'per-try'): void {
    this.timer = undefined;
    if (this.state !== 'connecting' && this.state !== 'sent') return;
    const sent = this.state === 'sent';
    this.cancelUpstream();
    this.settle({ type: 'timeout', kind }, sent);
  }

  private cancelUpstream(): void {
    const up = this.up;
    if (up !== undefined) cancelUpstream(up);
  }

  /** Ends an attempt whose response is not relayed. */
  private settle(outcome: AttemptOutcome, sent: boolean, detail?: string): void {
    if (this.state === 'over' || this.state === 'relaying') return;
    this.clearTimer();
    this.state = 'over';
    if (this.up !== undefined) this.exchange.detachBody(this.up);
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
