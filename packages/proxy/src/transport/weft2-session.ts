/**
 * One weft.2 connection between two sidecars (either side): demultiplexes frames to streams,
 * enforces the protocol (stream ids, windows, END, stream count), and writes every frame queued
 * during one event-loop turn with a single TLS write. Any violation closes this connection only
 * and is counted; identity is the TLS session's, never anything a frame says.
 */
import type { TLSSocket } from 'node:tls';
import { guard } from '../net/guard.js';
import { decodePreamble, encodePreamble, type Preamble } from '../net/preamble.js';
import type { CounterChild } from '../telemetry/metrics-registry.js';
import {
  encodeFrame,
  FrameDecoder,
  type FrameError,
  FrameType,
  HEADER_LENGTH,
  MAX_FRAME_PAYLOAD,
  MAX_STREAM_ID,
  MAX_WINDOW,
  ResetCode,
  u32,
  writeHeader,
} from './frame.js';
import type { Weft2Metrics } from './weft2-metrics.js';
import { type StreamOwner, Weft2Stream } from './weft2-stream.js';

/** Streams open at once on one connection (a protocol constant: the server refuses more). */
export const MAX_STREAMS = 128;
/** Every stream's initial window in each direction (a protocol constant). */
export const STREAM_WINDOW = 256 * 1024;
/**
 * Streams a peer may reset within one second before the connection is closed ('rapid-reset'):
 * each stream it opens costs an HTTP/1 connection here, as CVE-2023-44487 does for HTTP/2.
 */
export const MAX_RESETS_PER_SECOND = 200;

/** Why a connection was closed for a protocol violation (beyond the frame decoder's reasons). */
export type SessionError =
  | 'unexpected-open'
  | 'too-many-streams'
  | 'bad-open'
  | 'bad-stream-id'
  | 'data-after-end'
  | 'window-violation'
  | 'bad-window'
  | 'rapid-reset';

/** How a session is used: created by the client registry (weft2-client.ts) or the inbound listener. */
export interface Weft2SessionOptions {
  readonly role: 'client' | 'server';
  readonly metrics: Weft2Metrics;
  /** A connection without streams sends GOAWAY and closes after this long. */
  readonly idleMs: number;
  /** Server: a stream was opened with this preamble (guard it and serve it). */
  readonly onStream?: (stream: Weft2Stream, preamble: Preamble) => void;
  /** The connection closed (for the client's session list). */
  readonly onClose?: () => void;
}

/**
 * One weft.2 connection. The client opens streams with `open`; the server receives them through
 * `onStream`. `goAway` drains, `destroy` aborts. Owns the TLS socket it was given.
 */
export class Weft2Session implements StreamOwner {
  private readonly streams = new Map<number, Weft2Stream>();
  private readonly decoder = new FrameDecoder(MAX_FRAME_PAYLOAD);
  private readonly streamsOpened: CounterChild;
  private active = 0;
  /** Highest stream id opened on this connection. */
  private lastId = 0;
  private out: Buffer[] = [];
  private outBytes = 0;
  private flushScheduled = false;
  private congested = false;
  private waiters: (() => void)[] = [];
  private goawaySent = false;
  private goawayReceived = false;
  private dead = false;
  private closed = false;
  private idleTimer: NodeJS.Timeout | undefined;
  private resets = 0;
  private resetWindowStart = 0;
  private readonly flushNow = () => this.flush();

  constructor(
    readonly socket: TLSSocket,
    private readonly options: Weft2SessionOptions,
  ) {
    this.streamsOpened = options.metrics.streams.labels({ side: options.role });
    options.metrics.sessions.labels({ side: options.role }).inc();
    guard(socket, () => this.onSocketClose());
    socket.on('data', (chunk: Buffer) => this.onBytes(chunk));
    socket.on('end', () => this.onSocketEnd());
    socket.on('close', () => this.onSocketClose());
    this.armIdle();
  }

  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }
  get remotePort(): number | undefined {
    return this.socket.remotePort;
  }
  get localAddress(): string | undefined {
    return this.socket.localAddress;
  }
  get localPort(): number | undefined {
    return this.socket.localPort;
  }

  /** Streams not yet finished. */
  get streamCount(): number {
    return this.active;
  }

  /** True while this (client) connection can open another stream. */
  get available(): boolean {
    return (
      !this.dead &&
      !this.goawaySent &&
      !this.goawayReceived &&
      this.active < MAX_STREAMS &&
      this.lastId + 2 <= MAX_STREAM_ID
    );
  }

  /** Client: opens a stream carrying `preamble`'s protocol to its port; undefined when unavailable. */
  open(preamble: Preamble): Weft2Stream | undefined {
    if (this.options.role !== 'client' || !this.available) return undefined;
    const id = this.lastId === 0 ? 1 : this.lastId + 2;
    this.lastId = id;
    const stream = this.add(id);
    this.queue(encodeFrame(FrameType.Open, id, encodePreamble(preamble)));
    return stream;
  }

  /** Graceful close: no new streams; the connection ends when the open ones have finished. */
  goAway(code: number = ResetCode.Shutdown): void {
    if (this.dead) return;
    if (!this.goawaySent) {
      this.goawaySent = true;
      const payload = Buffer.allocUnsafe(8);
      payload.writeUInt32BE(this.lastId, 0);
      payload.writeUInt32BE(code, 4);
      this.queue(encodeFrame(FrameType.GoAway, 0, payload));
    }
    if (this.active === 0) this.endSocket();
  }

  /** Aborts the connection and its streams. */
  destroy(): void {
    this.dead = true;
    this.socket.destroy();
    this.resetAll('connection destroyed');
  }

  // --- StreamOwner -------------------------------------------------------------------------

  sendData(id: number, chunk: Buffer): boolean {
    for (let at = 0; at < chunk.length; at += MAX_FRAME_PAYLOAD) {
      const part =
        at === 0 && chunk.length <= MAX_FRAME_PAYLOAD ? chunk : chunk.subarray(at, at + MAX_FRAME_PAYLOAD);
      const header = Buffer.allocUnsafe(HEADER_LENGTH);
      writeHeader(header, 0, FrameType.Data, id, part.length);
      this.queue(header);
      this.queue(part);
    }
    return !this.congested;
  }

  sendEnd(id: number): void {
    this.queue(encodeFrame(FrameType.End, id));
  }

  sendReset(id: number, code: number): void {
    this.queue(encodeFrame(FrameType.Reset, id, u32(code)));
  }

  sendWindow(id: number, increment: number): void {
    this.queue(encodeFrame(FrameType.Window, id, u32(increment)));
  }

  whenWritable(fn: () => void): void {
    if (this.congested && !this.dead) this.waiters.push(fn);
    else fn();
  }

  released(id: number): void {
    if (!this.streams.delete(id)) return;
    this.active--;
    if (this.active > 0) return;
    if (this.goawaySent || this.goawayReceived) this.endSocket();
    else this.armIdle();
  }

  // --- writing -----------------------------------------------------------------------------

  private queue(buf: Buffer): void {
    if (this.dead) return;
    this.out.push(buf);
    this.outBytes += buf.length;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushNow);
    }
  }

  /** One TLS write for everything queued since the last flush. */
  private flush(): void {
    this.flushScheduled = false;
    if (this.dead || this.out.length === 0) return;
    const buf = this.out.length === 1 ? this.out[0]! : Buffer.concat(this.out, this.outBytes);
    this.out = [];
    this.outBytes = 0;
    if (!this.socket.write(buf) && !this.congested) {
      this.congested = true;
      this.socket.once('drain', () => {
        this.congested = false;
        for (const fn of this.waiters.splice(0)) fn();
      });
    }
  }

  private endSocket(): void {
    if (this.dead) return;
    this.flush();
    this.dead = true;
    this.socket.end();
  }

  // --- reading -----------------------------------------------------------------------------

  private onBytes(chunk: Buffer): void {
    if (this.dead) return;
    const error = this.decoder.feed(chunk, this.onFrame);
    if (error !== undefined) this.fail(error);
  }

  private readonly onFrame = (type: FrameType, id: number, payload: Buffer): void => {
    if (this.dead) return;
    if (type === FrameType.GoAway) {
      this.onGoAway(payload.readUInt32BE(0));
      return;
    }
    if (type === FrameType.Open) {
      const error = this.onOpen(id, payload);
      if (error !== undefined) this.fail(error);
      return;
    }
    // Every other frame names a stream this connection has opened (odd, at most the last id).
    if ((id & 1) === 0 || id > this.lastId) {
      this.fail('bad-stream-id');
      return;
    }
    const stream = this.streams.get(id);
    if (stream === undefined) return; // finished or reset here; frames already in flight are dropped
    if (type === FrameType.Data) {
      if (stream.remoteEnded) this.fail('data-after-end');
      else if (!stream.onData(payload)) this.fail('window-violation');
    } else if (type === FrameType.End) {
      if (stream.remoteEnded) this.fail('data-after-end');
      else stream.onEnd();
    } else if (type === FrameType.Reset) {
      // Only a reset of a stream we are still answering costs work (closing after our END does not).
      if (!stream.localEnded && this.resetTooOften()) this.fail('rapid-reset');
      else stream.onReset('stream reset by the peer');
    } else {
      const increment = payload.readUInt32BE(0);
      if (increment === 0 || increment > MAX_WINDOW) this.fail('bad-window');
      else if (!stream.onWindow(increment)) this.fail('window-violation');
    }
  };

  /** A stream opened by the client; the violation, if any. */
  private onOpen(id: number, payload: Buffer): SessionError | undefined {
    if (this.options.role !== 'server') return 'unexpected-open';
    if ((id & 1) === 0 || id <= this.lastId) return 'bad-stream-id';
    const decoded = decodePreamble(payload);
    if (decoded.type === 'invalid') return 'bad-open';
    this.lastId = id;
    if (this.goawaySent) {
      this.sendReset(id, ResetCode.Refused);
      return undefined;
    }
    if (this.active >= MAX_STREAMS) return 'too-many-streams';
    const stream = this.add(id);
    this.options.onStream?.(stream, decoded.preamble);
    return undefined;
  }

  private onGoAway(last: number): void {
    this.goawayReceived = true;
    for (const stream of [...this.streams.values()]) {
      if (stream.id > last) stream.onReset('refused: the peer is going away');
    }
    if (this.active === 0) this.endSocket();
  }

  private add(id: number): Weft2Stream {
    const stream = guard(new Weft2Stream(id, this, STREAM_WINDOW));
    this.streams.set(id, stream);
    this.active++;
    this.streamsOpened.inc();
    if (this.idleTimer !== undefined) {
      clearTimeout(this.idleTimer);
      this.idleTimer = undefined;
    }
    return stream;
  }

  /** Counts a RESET from the peer; true past MAX_RESETS_PER_SECOND. */
  private resetTooOften(): boolean {
    const now = Date.now();
    if (now - this.resetWindowStart >= 1000) {
      this.resetWindowStart = now;
      this.resets = 0;
    }
    return ++this.resets > MAX_RESETS_PER_SECOND;
  }

  private armIdle(): void {
    if (this.idleTimer !== undefined || this.dead) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (this.active === 0) this.goAway();
    }, this.options.idleMs);
    this.idleTimer.unref();
  }

  /** A protocol violation: count it and close this connection (its streams are reset). */
  private fail(reason: SessionError | FrameError): void {
    if (this.dead) return;
    this.options.metrics.protocolErrors.inc({ reason });
    this.destroy();
  }

  private onSocketEnd(): void {
    if (this.dead) return;
    // The peer closed its side: streams it had not ended are lost.
    for (const stream of [...this.streams.values()]) {
      if (!stream.remoteEnded) stream.onReset('the connection closed');
    }
    this.endSocket();
  }

  private onSocketClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.dead = true;
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.resetAll('the connection closed');
    for (const fn of this.waiters.splice(0)) fn();
    const onClose = this.options.onClose;
    if (onClose !== undefined) onClose();
  }

  private resetAll(reason: string): void {
    for (const stream of [...this.streams.values()]) stream.onReset(reason);
  }
}
