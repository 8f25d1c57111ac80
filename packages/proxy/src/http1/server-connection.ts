/**
 * One client connection speaking HTTP/1.x to the proxy: parses request heads strictly,
 * hands each request to the layer chain, streams the body to the upstream the layers chose,
 * and writes the response back. Requests on a connection are handled one at a time
 * (pipelined bytes wait, with reading paused, until the response before them is done).
 */
import type { Socket } from 'node:net';
import type { WeftError } from '@weft/core';
import type { TargetPolicySource } from '../layers/target-policy.js';
import type { Handler } from '../layers/types.js';
import { statusForError } from '../layers/types.js';
import { guard } from '../net/guard.js';
import type { ProxyMetrics } from '../telemetry/proxy-metrics.js';
import { BodyFramer } from './body-framer.js';
import type { BodyTarget } from './body-target.js';
import type { ClientConnection, Http1ConnectionInfo } from './client-connection.js';
import { headWithBody } from './coalesce.js';
import { type HeadLimits, type MessageHead, parseHead } from './head-parser.js';
import type { Http1Pool } from './pool.js';
import { Http1Request } from './request.js';
import { type ClientBodyMode, serializeLocalResponse, serializeResponseHead } from './serialize.js';

const EMPTY = Buffer.alloc(0);

/** Settings shared by every HTTP/1 connection of one listener. */
export interface Http1ListenerContext {
  readonly limits: HeadLimits;
  readonly handler: Handler;
  readonly pool: Http1Pool;
  readonly direction: 'outbound' | 'inbound';
  readonly metrics: ProxyMetrics;
  /** Time allowed to receive a complete request head. */
  readonly headersTimeoutMs: number;
  /** A connection with no traffic for this long is closed. */
  readonly idleTimeoutMs: number;
  /** Time allowed to receive a request body once its head arrived. */
  readonly requestTimeoutMs: number;
  /** Most bytes held read but not yet forwarded; more closes the connection (counted). */
  readonly maxBufferBytes: number;
  /** Open connections of this listener side (for drain). */
  readonly live: Set<Http1ServerConnection>;
  /** Normalizes every request target (400 and close on rejection). */
  readonly targets: TargetPolicySource;
}

enum ConnState {
  Head = 0,
  InFlight = 1,
  Tunnel = 2,
  Closed = 3,
}

export class Http1ServerConnection implements ClientConnection {
  private buf: Buffer = EMPTY;
  private state = ConnState.Head;
  private readonly framer = new BodyFramer();
  private request: Http1Request | undefined;
  private bodyTarget: BodyTarget | undefined;
  private bodyDone = true;
  private responseStarted = false;
  private closeAfterResponse = false;
  /** How the current response body is written to the client. */
  mode: ClientBodyMode = 'raw';
  private headTimer: NodeJS.Timeout | undefined;
  /** Armed while a request body is being received. */
  private bodyTimer: NodeJS.Timeout | undefined;
  /** A response head not yet written: sent together with the first body bytes. */
  private pendingHead: string | undefined;
  private readonly onDrainResume = () => this.resumeBody();

  constructor(
    readonly socket: Socket,
    private readonly ctx: Http1ListenerContext,
    readonly info: Http1ConnectionInfo,
  ) {
    socket.setNoDelay(true);
    ctx.live.add(this);
    socket.setTimeout(ctx.idleTimeoutMs, () => this.destroy());
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onEnd());
    guard(socket, () => this.destroy());
    socket.on('close', () => this.onClose());
  }

  /** The pool requests on this connection are forwarded through. */
  get pool(): Http1Pool {
    return this.ctx.pool;
  }

  /** Feeds bytes read during protocol detection, then starts reading. */
  start(initial: Buffer): void {
    if (initial.length > 0) this.onData(initial);
    if (this.state !== ConnState.Closed) this.socket.resume();
  }

  private onData(chunk: Buffer): void {
    if (this.buf.length + chunk.length > this.ctx.maxBufferBytes) {
      this.ctx.metrics.requestErrors.inc({ direction: this.ctx.direction, reason: 'connection-buffer-full' });
      this.destroy();
      return;
    }
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    if (this.state === ConnState.Head) this.parseNext();
    else if (this.state === ConnState.InFlight) this.pumpBody();
  }

  private parseNext(): void {
    if (this.buf.length === 0) return;
    const r = parseHead(this.buf, true, this.ctx.limits);
    if (r.type === 'incomplete') {
      this.headTimer ??= setTimeout(() => this.headersTimedOut(), this.ctx.headersTimeoutMs);
      return;
    }
    if (this.headTimer !== undefined) {
      clearTimeout(this.headTimer);
      this.headTimer = undefined;
    }
    if (r.type === 'error') {
      this.rejectFraming(r.status, r.reason);
      return;
    }
    const target = this.ctx.targets.decide(this.ctx.direction, r.head.method, r.head.target);
    if (target.type === 'reject') {
      this.rejectFraming(400, `invalid request target: ${target.detail}`);
      return;
    }
    const head = target.forward === r.head.target ? r.head : { ...r.head, target: target.forward };
    this.buf = this.buf.length === r.length ? EMPTY : this.buf.subarray(r.length);
    this.state = ConnState.InFlight;
    this.framer.reset(head.framing);
    this.bodyDone = this.framer.complete;
    this.bodyTarget = undefined;
    this.responseStarted = false;
    this.closeAfterResponse = head.close;
    this.mode = 'raw';
    if (!this.bodyDone || this.buf.length > 0) this.socket.pause();
    if (!this.bodyDone) this.bodyTimer = setTimeout(() => this.bodyTimedOut(), this.ctx.requestTimeoutMs);
    const req = new Http1Request(this, head, target.path, this.ctx.direction, performance.now());
    this.request = req;
    this.ctx.handler(req);
  }

  /** Called by the upstream connection once the request head is written: start the body. */
  attachBody(target: BodyTarget): void {
    this.bodyTarget = target;
    if (this.bodyDone) {
      target.end();
      return;
    }
    this.pumpBody();
  }

  private pumpBody(): void {
    const target = this.bodyTarget;
    if (this.bodyDone) {
      // Pipelined bytes of a later request: keep them, stop reading until this response is done.
      this.socket.pause();
      return;
    }
    if (target === undefined || this.buf.length === 0) {
      if (target !== undefined) this.socket.resume();
      return;
    }
    const r = this.framer.feed(this.buf, 0);
    if (r.type === 'error') {
      this.rejectFraming(400, r.reason);
      return;
    }
    const body = r.used === this.buf.length ? this.buf : this.buf.subarray(0, r.used);
    this.buf = r.used === this.buf.length ? EMPTY : this.buf.subarray(r.used);
    const more = target.write(body);
    if (r.type === 'done') {
      this.bodyDone = true;
      this.clearBodyTimer();
      target.end();
      if (this.buf.length > 0) this.socket.pause();
      return;
    }
    if (more) this.socket.resume();
    else {
      this.socket.pause();
      target.onDrain(this.onDrainResume);
    }
  }

  private resumeBody(): void {
    if (this.state === ConnState.InFlight && !this.bodyDone) this.socket.resume();
  }

  // ---- response side: called by the upstream connection or by a local failure ----

  /** Writes an interim (1xx) response. */
  writeInterim(head: MessageHead): void {
    this.flushHead();
    if (this.request?.head.version === 11)
      this.socket.write(serializeResponseHead(head, 11, 'none', false), 'latin1');
  }

  /** Writes the final response head and chooses how the body is written. */
  writeHead(head: MessageHead): void {
    const req = this.request!;
    const v = req.head.version;
    const f = head.framing.kind;
    let mode: ClientBodyMode = 'raw';
    if (f === 'none') mode = 'none';
    else if (f === 'chunked' && v === 10) mode = 'dechunk';
    else if (f === 'close' && v === 11) mode = 'rechunk';
    if (head.close && f === 'close' && v === 10) this.closeAfterResponse = true;
    if (mode === 'dechunk') this.closeAfterResponse = true;
    if (req.head.method !== 'CONNECT' && !this.bodyDone && head.status >= 300) this.closeAfterResponse = true;
    this.mode = mode;
    this.responseStarted = true;
    this.countStatus(head.status);
    req.telemetry?.responded(head.status);
    this.pendingHead = serializeResponseHead(head, v, mode, this.closeAfterResponse);
  }

  /** Writes a held response head (called after each upstream read, so heads never wait for a body). */
  flushHead(): void {
    if (this.pendingHead === undefined) return;
    this.socket.write(this.pendingHead, 'latin1');
    this.pendingHead = undefined;
  }

  /** Writes response body bytes (already in the chosen mode's framing, except rechunk). */
  writeBody(chunk: Buffer): boolean {
    if (this.pendingHead !== undefined && this.mode === 'raw') {
      const out = headWithBody(this.pendingHead, chunk);
      this.pendingHead = undefined;
      return this.socket.write(out);
    }
    this.flushHead();
    if (this.mode === 'rechunk') {
      this.socket.write(`${chunk.length.toString(16)}\r\n`, 'latin1');
      this.socket.write(chunk);
      return this.socket.write('\r\n', 'latin1');
    }
    return this.socket.write(chunk);
  }

  /** The response is complete. */
  endResponse(): void {
    this.flushHead();
    if (this.mode === 'rechunk') this.socket.write('0\r\n\r\n', 'latin1');
    this.finishExchange();
  }

  /** The upstream switched protocols: from now on bytes are relayed both ways. */
  takeOver(): { socket: Socket; pending: Buffer } {
    this.flushHead();
    this.state = ConnState.Tunnel;
    this.socket.removeAllListeners('data');
    this.socket.removeAllListeners('end');
    this.socket.setTimeout(0);
    const pending = this.buf;
    this.buf = EMPTY;
    return { socket: this.socket, pending };
  }

  /** Answers the current request locally. */
  fail(error: WeftError, extraHeaders: readonly string[] = []): void {
    if (this.state !== ConnState.InFlight) return;
    if (this.responseStarted) {
      this.destroy();
      return;
    }
    const status = statusForError(error);
    this.ctx.metrics.requestErrors.inc({ direction: this.ctx.direction, reason: error.code.toLowerCase() });
    this.countStatus(status);
    this.request?.telemetry?.responded(status, error);
    if (!this.bodyDone) this.closeAfterResponse = true;
    this.mode = 'none';
    this.responseStarted = true;
    this.socket.write(
      serializeLocalResponse(status, `${error.message}\n`, this.closeAfterResponse, extraHeaders),
    );
    this.finishExchange();
  }

  /** The client's stream broke or the upstream failed after the response began. */
  destroy(): void {
    if (this.state === ConnState.Closed) return;
    this.state = ConnState.Closed;
    this.socket.destroy();
  }

  /** True while a request is waiting for its response. */
  get inFlight(): boolean {
    return this.state === ConnState.InFlight;
  }

  /** Closes after the current response, or now when idle (draining). */
  drain(): void {
    if (this.state === ConnState.Head && this.buf.length === 0) this.socket.end();
    else this.closeAfterResponse = true;
  }

  private finishExchange(): void {
    const req = this.request;
    if (req !== undefined) this.ctx.metrics.requestLatency.observe(performance.now() - req.startedAt);
    req?.telemetry?.finished();
    this.request = undefined;
    this.bodyTarget = undefined;
    this.responseStarted = false;
    if (this.closeAfterResponse || !this.bodyDone) {
      this.state = ConnState.Closed;
      this.socket.end();
      return;
    }
    this.state = ConnState.Head;
    if (this.buf.length > 0) this.parseNext();
    if (this.state === ConnState.Head) this.socket.resume();
  }

  private rejectFraming(status: number, reason: string): void {
    this.ctx.metrics.requestErrors.inc({ direction: this.ctx.direction, reason: 'bad-request' });
    if (this.responseStarted) {
      this.destroy();
      return;
    }
    this.countStatus(status);
    this.request?.telemetry?.responded(status);
    this.state = ConnState.Closed;
    this.buf = EMPTY;
    this.socket.pause();
    this.socket.end(serializeLocalResponse(status, `${reason}\n`, true));
    this.request?.abortUpstream();
  }

  private clearBodyTimer(): void {
    if (this.bodyTimer === undefined) return;
    clearTimeout(this.bodyTimer);
    this.bodyTimer = undefined;
  }

  private bodyTimedOut(): void {
    this.bodyTimer = undefined;
    if (this.state !== ConnState.InFlight || this.bodyDone) return;
    this.ctx.metrics.requestErrors.inc({ direction: this.ctx.direction, reason: 'request-timeout' });
    this.request?.abortUpstream();
    if (this.responseStarted) {
      this.destroy();
      return;
    }
    this.countStatus(408);
    this.state = ConnState.Closed;
    this.socket.end(serializeLocalResponse(408, 'request body not received in time\n', true));
  }

  private headersTimedOut(): void {
    this.headTimer = undefined;
    if (this.state !== ConnState.Head) return;
    this.ctx.metrics.requestErrors.inc({ direction: this.ctx.direction, reason: 'headers-timeout' });
    this.state = ConnState.Closed;
    this.socket.end(serializeLocalResponse(408, 'request head not received in time\n', true));
  }

  private onEnd(): void {
    if (this.state === ConnState.Head) {
      this.state = ConnState.Closed;
      this.socket.end();
    } else if (this.state === ConnState.InFlight && !this.bodyDone) {
      // The client stopped sending mid-body: the request can never complete.
      this.request?.abortUpstream();
      this.destroy();
    }
  }

  private onClose(): void {
    this.ctx.live.delete(this);
    this.clearBodyTimer();
    if (this.headTimer !== undefined) clearTimeout(this.headTimer);
    const wasInFlight = this.state === ConnState.InFlight;
    this.state = ConnState.Closed;
    if (wasInFlight) this.request?.abortUpstream();
    this.request?.telemetry?.finished();
  }

  private countStatus(status: number): void {
    const c = this.ctx.metrics.statusCounters[this.ctx.direction];
    (c[Math.floor(status / 100)] ?? c[0]!).inc();
  }
}
