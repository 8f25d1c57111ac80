/**
 * One persistent HTTP/1.1 connection from the proxy to an upstream (an app, another proxy,
 * or an egress address). It carries one exchange at a time: writes the re-serialized
 * request head, takes the body from the client connection, parses the response strictly
 * and relays it; then goes back to its pool if the framing allows reuse.
 */
import type { Socket } from 'node:net';
import type { WeftError } from '@weft/core';
import { ATTEMPT_HEADER } from '@weft/core';
import { guard } from '../net/guard.js';
import { relay } from '../tcp/relay.js';
import { TRACE_HEADER_SET, type TraceHeaders } from '../telemetry/propagation.js';
import type { ProxyMetrics } from '../telemetry/proxy-metrics.js';
import { BodyFramer } from './body-framer.js';
import type { BodyTarget } from './body-target.js';
import { headWithBody } from './coalesce.js';
import { UpstreamError } from './errors.js';
import { type HeadLimits, type MessageHead, parseHead } from './head-parser.js';
import type { ClientBodyMode } from './serialize.js';
import { serializeRequestHead } from './serialize.js';

const EMPTY = Buffer.alloc(0);

enum UpState {
  Idle = 0,
  AwaitHead = 1,
  Body = 2,
  Closed = 3,
}

/**
 * Where an upstream connection writes a response: the client connection, or an attempt that
 * relays the response or drops it (a retry). Implemented by Http1ServerConnection and Http1Attempt.
 */
export interface ResponseSink {
  readonly socket: Socket;
  readonly mode: ClientBodyMode;
  attachBody(target: BodyTarget): void;
  writeInterim(head: MessageHead): void;
  writeHead(head: MessageHead): void;
  /** Writes a held response head (called after each upstream read). */
  flushHead(): void;
  writeBody(chunk: Buffer): boolean;
  endResponse(): void;
  takeOver(): { socket: Socket; pending: Buffer };
  destroy(): void;
}

/** A request as an upstream connection carries it. Implemented by Http1Attempt and Http1Request (upgrades). */
export interface UpstreamExchange {
  readonly head: MessageHead;
  /** Trace headers replacing those of `head` when written (undefined: `head` as it is). */
  readonly traceHeaders?: TraceHeaders | undefined;
  /** The attempt number to send in `x-weft-attempt`, replacing the client's (0 or absent: none). */
  readonly attempt?: number;
  readonly conn: ResponseSink;
  readonly direction: 'outbound' | 'inbound';
  /** Set by the upstream connection carrying the exchange. */
  abortUpstream: () => void;
  /**
   * The exchange failed before a response completed. `stale`: the connection had carried an
   * exchange before and closed before any byte of this one's response (the keep-alive race:
   * the server timed it out as the request went out). The retry state machine decides a resend.
   */
  upstreamFailed(error: WeftError, stale: boolean): void;
  /** True once nothing waits for this exchange any more (e.g. its attempt timed out while queued). */
  readonly abandoned?: boolean;
}

/** Gives connections back to their pool. */
export interface ConnectionHome {
  release(conn: UpstreamConnection): void;
  remove(conn: UpstreamConnection): void;
}

export class UpstreamConnection implements BodyTarget {
  private state = UpState.Idle;
  private buf: Buffer = EMPTY;
  private readonly framer = new BodyFramer();
  private request: UpstreamExchange | undefined;
  private requestBodyDone = true;
  private responseBytes = 0;
  private reusable = true;
  private untilClose = false;
  /** Exchanges carried so far. */
  uses = 0;
  /** The request head not yet written: sent together with the first body bytes. */
  private pendingHead: string | undefined;
  private readonly abortBound = () => this.abort();
  /** The client socket this connection stopped reading for, until it drains. */
  private drainWait: { client: Socket; resume: () => void } | undefined;
  private readonly dechunkWrite = (b: Buffer, s: number, e: number) => {
    this.request?.conn.writeBody(b.subarray(s, e));
  };

  constructor(
    readonly socket: Socket,
    readonly key: string,
    private readonly home: ConnectionHome,
    private readonly limits: HeadLimits,
    private readonly metrics: ProxyMetrics,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    guard(socket, () => this.onBroken());
    socket.on('close', () => this.onBroken());
    socket.on('end', () => this.onBroken());
  }

  get idle(): boolean {
    return this.state === UpState.Idle;
  }

  /** Starts an exchange: writes the head, then lets the client stream the body. */
  send(req: UpstreamExchange): void {
    this.request = req;
    this.state = UpState.AwaitHead;
    this.buf = EMPTY;
    this.responseBytes = 0;
    this.requestBodyDone = req.head.framing.kind === 'none';
    this.uses++;
    req.abortUpstream = this.abortBound;
    this.pendingHead = requestHead(req);
    req.conn.attachBody(this);
    if (this.pendingHead !== undefined) this.flushHead();
  }

  private flushHead(): void {
    if (this.pendingHead === undefined) return;
    this.socket.write(this.pendingHead, 'latin1');
    this.pendingHead = undefined;
  }

  write(chunk: Buffer): boolean {
    if (this.pendingHead !== undefined) {
      const out = headWithBody(this.pendingHead, chunk);
      this.pendingHead = undefined;
      return this.socket.write(out);
    }
    return this.socket.write(chunk);
  }

  end(): void {
    this.flushHead();
    this.requestBodyDone = true;
    if (this.state === UpState.Idle) this.finish();
  }

  onDrain(resume: () => void): void {
    this.socket.once('drain', resume);
  }

  /** True when the socket delivers bytes through `receive` (reader mode) instead of 'data'. */
  readerMode = false;
  private onReceive: (chunk: Buffer) => void = (chunk) => this.onData(chunk);

  /** Bytes from a socket opened in reader mode (no 'data' events). */
  receive(chunk: Buffer): void {
    this.onReceive(chunk);
  }

  private onData(chunk: Buffer): void {
    const req = this.request;
    if (req === undefined) {
      // Bytes nobody asked for: the connection cannot be trusted any more.
      this.close();
      return;
    }
    this.responseBytes += chunk.length;
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    this.process(req);
    req.conn.flushHead();
  }

  private process(req: UpstreamExchange): void {
    while (this.state === UpState.AwaitHead) {
      const r = parseHead(this.buf, false, this.limits, req.head.method);
      if (r.type === 'incomplete') return;
      if (r.type === 'error') {
        this.metrics.requestErrors.inc({ direction: req.direction, reason: 'bad-upstream-response' });
        this.reusable = false;
        req.upstreamFailed(new UpstreamError(`upstream sent an invalid response: ${r.reason}`), false);
        this.close();
        return;
      }
      const head = r.head;
      this.buf = this.buf.length === r.length ? EMPTY : this.buf.subarray(r.length);
      if (head.status === 101) {
        if (req.head.upgrade === '') {
          req.upstreamFailed(
            new UpstreamError('upstream switched protocols without an upgrade request'),
            false,
          );
          this.close();
          return;
        }
        this.switchProtocols(req, head);
        return;
      }
      if (head.status < 200) {
        req.conn.writeInterim(head);
        continue;
      }
      if (head.close) this.reusable = false;
      req.conn.writeHead(head);
      // The sink dropped this response (a retry) and aborted the exchange: the connection is gone.
      if ((this.state as UpState) === UpState.Closed) return;
      this.framer.reset(head.framing);
      this.untilClose = head.framing.kind === 'close';
      this.framer.onPayload = req.conn.mode === 'dechunk' ? this.dechunkWrite : undefined;
      this.state = UpState.Body;
    }
    if (this.state !== UpState.Body) return;
    if (this.buf.length === 0) {
      if (this.framer.complete) this.completeResponse(req);
      return;
    }
    const r = this.framer.feed(this.buf, 0);
    if (r.type === 'error') {
      this.metrics.requestErrors.inc({ direction: req.direction, reason: 'bad-upstream-response' });
      req.conn.destroy();
      this.close();
      return;
    }
    const mode = req.conn.mode;
    if (r.used > 0 && mode !== 'dechunk') {
      const body = r.used === this.buf.length ? this.buf : this.buf.subarray(0, r.used);
      if (!req.conn.writeBody(body)) this.pauseUntilDrained(req.conn.socket);
    }
    if (r.used < this.buf.length) this.reusable = false;
    this.buf = EMPTY;
    if (r.type === 'done') this.completeResponse(req);
  }

  /** Stops reading until the client's socket drains (its buffer is over its high-water mark). */
  private pauseUntilDrained(client: Socket): void {
    if (this.drainWait !== undefined) return;
    const resume = () => {
      this.drainWait = undefined;
      this.socket.resume();
    };
    this.drainWait = { client, resume };
    this.socket.pause();
    client.once('drain', resume);
  }

  /**
   * Reads again without waiting for the client's drain: the response is over (or the connection
   * is). A connection must never go back to the pool paused: the client it waited for may be
   * gone and never drain, and the next exchange on it would wait for its response forever.
   */
  private stopWaitingForDrain(): void {
    const w = this.drainWait;
    if (w === undefined) return;
    this.drainWait = undefined;
    w.client.off('drain', w.resume);
    this.socket.resume();
  }

  private completeResponse(req: UpstreamExchange): void {
    this.stopWaitingForDrain();
    this.state = UpState.Idle;
    this.request = undefined;
    req.abortUpstream = noop;
    req.conn.endResponse();
    if (this.requestBodyDone) this.finish();
    else this.reusable = false;
  }

  private finish(): void {
    if (this.request !== undefined) return;
    if (this.reusable && this.state === UpState.Idle) this.home.release(this);
    else this.close();
  }

  private switchProtocols(req: UpstreamExchange, head: MessageHead): void {
    this.state = UpState.Closed;
    this.home.remove(this);
    req.conn.writeHead(head);
    const client = req.conn.takeOver();
    this.socket.removeAllListeners('data');
    this.socket.removeAllListeners('end');
    this.socket.removeAllListeners('close');
    this.socket.removeAllListeners('error');
    if (this.buf.length > 0) client.socket.write(this.buf);
    if (client.pending.length > 0) this.socket.write(client.pending);
    this.buf = EMPTY;
    const tunnel = relay(client.socket, this.socket, undefined, this.readerMode);
    if (this.readerMode) this.onReceive = tunnel.fromB;
  }

  /** The client went away mid-exchange. */
  private abort(): void {
    this.request = undefined;
    this.close();
  }

  private onBroken(): void {
    if (this.state === UpState.Closed) return;
    const req = this.request;
    const waiting = this.state === UpState.AwaitHead;
    const body = this.state === UpState.Body;
    this.stopWaitingForDrain();
    this.state = UpState.Closed;
    this.request = undefined;
    this.home.remove(this);
    this.socket.destroy();
    if (req === undefined) return;
    req.abortUpstream = noop;
    if (waiting) {
      const stale = this.responseBytes === 0 && this.uses > 1;
      req.upstreamFailed(new UpstreamError('upstream closed the connection before responding'), stale);
    } else if (body) {
      if (this.untilClose || this.framer.complete) req.conn.endResponse();
      else req.conn.destroy();
    }
  }

  /** Closes the connection and takes it out of its pool. */
  close(): void {
    if (this.state === UpState.Closed) return;
    this.stopWaitingForDrain();
    this.state = UpState.Closed;
    this.home.remove(this);
    this.socket.destroy();
  }
}

function noop(): void {}

const ATTEMPT_ONLY: ReadonlySet<string> = new Set([ATTEMPT_HEADER]);
const TRACE_AND_ATTEMPT: ReadonlySet<string> = new Set([...TRACE_HEADER_SET, ATTEMPT_HEADER]);

/** The serialized head of `req`: its trace headers and attempt number replace the client's, without copying the head. */
function requestHead(req: UpstreamExchange): string {
  const trace = req.traceHeaders;
  const attempt = req.attempt ?? 0;
  if (trace === undefined && attempt === 0) return serializeRequestHead(req.head, '');
  let extra = '';
  if (trace !== undefined) for (const name in trace) extra += `${name}: ${trace[name]}\r\n`;
  if (attempt > 0) extra += `${ATTEMPT_HEADER}: ${attempt}\r\n`;
  const drop = trace === undefined ? ATTEMPT_ONLY : attempt > 0 ? TRACE_AND_ATTEMPT : TRACE_HEADER_SET;
  return serializeRequestHead(req.head, extra, drop);
}
