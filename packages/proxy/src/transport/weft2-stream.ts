/**
 * One weft.2 stream as a socket-like Duplex: the HTTP/1 engine and the pool use it exactly like a
 * pooled TLS connection (write/end/destroy, 'data'/'end'/'close'/'drain', pause/resume,
 * setTimeout). Writes become DATA frames within the peer's credit; reads are credited back to the
 * peer only once consumed, so a reader that stops bounds what the peer may send to one window.
 */
import { Duplex } from 'node:stream';
import { WeftError } from '@weft/core';

/** What a stream needs from its session. */
export interface StreamOwner {
  /** Queues DATA for `id` (coalesced with the turn's other frames); false while the connection is congested. */
  sendData(id: number, chunk: Buffer): boolean;
  /** Queues END for `id`. */
  sendEnd(id: number): void;
  /** Queues RESET for `id` (or nothing when the connection is gone). */
  sendReset(id: number, code: number): void;
  /** Queues WINDOW for `id`. */
  sendWindow(id: number, increment: number): void;
  /** Runs `fn` once the connection can take more bytes. */
  whenWritable(fn: () => void): void;
  /** The stream finished (both ENDs, or a RESET either way). */
  released(id: number): void;
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  readonly localAddress: string | undefined;
  readonly localPort: number | undefined;
}

/** A stream reset by the peer or lost with its connection. */
export class StreamResetError extends WeftError {
  constructor(message: string) {
    super('UNAVAILABLE', message);
    this.name = 'StreamResetError';
  }
}

/**
 * A stream of a weft.2 connection. Created only by Weft2Session (which guards it); handed to the
 * HTTP/1 engine as its socket. `destroy()` before both ENDs sends RESET.
 */
export class Weft2Stream extends Duplex {
  /** Bytes we may still send (the peer's credit). */
  private sendCredit: number;
  /** Bytes the peer may still send us. */
  private recvCredit: number;
  /** Received bytes consumed by our reader but not yet credited back. */
  private received = 0;
  private credited = 0;
  /** A write waiting for credit. */
  private blocked: { chunk: Buffer; cb: (err?: Error | null) => void } | undefined;
  /** Protocol state: END or RESET sent / END received. */
  localEnded = false;
  remoteEnded = false;
  private released = false;
  private idleTimer: NodeJS.Timeout | undefined;
  bytesRead = 0;
  bytesWritten = 0;
  readonly connecting = false;

  constructor(
    readonly id: number,
    private readonly owner: StreamOwner,
    private readonly window: number,
  ) {
    super({
      allowHalfOpen: true,
      readableHighWaterMark: window,
      writableHighWaterMark: window,
      decodeStrings: true,
    });
    this.sendCredit = window;
    this.recvCredit = window;
  }

  get remoteAddress(): string | undefined {
    return this.owner.remoteAddress;
  }
  get remotePort(): number | undefined {
    return this.owner.remotePort;
  }
  get localAddress(): string | undefined {
    return this.owner.localAddress;
  }
  get localPort(): number | undefined {
    return this.owner.localPort;
  }

  /** No-op: Nagle is off on the connection itself. */
  setNoDelay(_noDelay?: boolean): this {
    return this;
  }
  setKeepAlive(_enable?: boolean, _delay?: number): this {
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }

  /** Emits 'timeout' after `ms` without reads or writes on this stream (0 turns it off), like net.Socket. */
  setTimeout(ms: number, callback?: () => void): this {
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (callback !== undefined) this.once('timeout', callback);
    if (ms > 0 && !this.destroyed) {
      this.idleTimer = setTimeout(() => this.emit('timeout'), ms);
      this.idleTimer.unref();
    }
    return this;
  }

  private active(): void {
    this.idleTimer?.refresh();
  }

  // --- frames from the session -------------------------------------------------------------

  /** DATA from the peer; false when it exceeds the credit we gave (a window violation). */
  onData(payload: Buffer): boolean {
    if (payload.length > this.recvCredit) return false;
    this.recvCredit -= payload.length;
    this.received += payload.length;
    this.bytesRead += payload.length;
    this.active();
    this.push(payload);
    this.creditConsumed();
    return true;
  }

  /** END from the peer. */
  onEnd(): void {
    this.remoteEnded = true;
    this.push(null);
    this.maybeReleased();
  }

  /** WINDOW from the peer; false when the credit would overflow. */
  onWindow(increment: number): boolean {
    if (this.sendCredit + increment > 0x7fffffff) return false;
    this.sendCredit += increment;
    const blocked = this.blocked;
    if (blocked !== undefined) {
      this.blocked = undefined;
      this.sendChunk(blocked.chunk, blocked.cb);
    }
    return true;
  }

  /** RESET from the peer, or the connection went away. */
  onReset(reason: string): void {
    this.localEnded = true;
    this.remoteEnded = true;
    this.release();
    this.destroy(new StreamResetError(reason));
  }

  // --- Duplex ------------------------------------------------------------------------------

  override _read(): void {
    this.creditConsumed();
  }

  /**
   * Every consumption goes through read() (flowing mode calls it too), unlike _read, which Node
   * calls again only after a push: a peer out of credit would never push, so credit is computed here.
   */
  // biome-ignore lint/suspicious/noExplicitAny: Readable.read's own return type.
  override read(size?: number): any {
    const chunk = super.read(size);
    this.creditConsumed();
    return chunk;
  }

  /** Grants the peer what our reader consumed, in batches of half a window. */
  private creditConsumed(): void {
    const consumed = this.received - this.readableLength - this.credited;
    // Once the peer is out of credit and our reader has caught up, consumed is a whole window.
    if (consumed < this.window / 2 || this.remoteEnded) return;
    this.credited += consumed;
    this.recvCredit += consumed;
    this.owner.sendWindow(this.id, consumed);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.localEnded) {
      cb(new StreamResetError('write after the stream was reset'));
      return;
    }
    this.active();
    this.sendChunk(chunk, cb);
  }

  private sendChunk(chunk: Buffer, cb: (err?: Error | null) => void): void {
    if (this.localEnded) {
      cb(new StreamResetError('the stream was reset'));
      return;
    }
    let rest = chunk;
    let writable = true;
    if (this.sendCredit > 0 && rest.length > 0) {
      const n = Math.min(this.sendCredit, rest.length);
      writable = this.owner.sendData(this.id, n === rest.length ? rest : rest.subarray(0, n));
      this.sendCredit -= n;
      this.bytesWritten += n;
      rest = rest.subarray(n);
    }
    if (rest.length > 0) {
      this.blocked = { chunk: rest, cb };
      return;
    }
    if (writable) cb();
    else this.owner.whenWritable(() => cb());
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (!this.localEnded) {
      this.localEnded = true;
      this.owner.sendEnd(this.id);
      this.maybeReleased();
    }
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    if (!this.localEnded && this.remoteEnded && err === null) {
      // The peer had finished: closing our side is an END, not a reset (e.g. after `Connection: close`).
      this.localEnded = true;
      this.owner.sendEnd(this.id);
    } else if (!this.localEnded || !this.remoteEnded) {
      this.localEnded = true;
      this.remoteEnded = true;
      this.owner.sendReset(this.id, 0);
    }
    const blocked = this.blocked;
    this.blocked = undefined;
    blocked?.cb(err ?? new StreamResetError('stream destroyed'));
    this.release();
    cb(err);
  }

  private maybeReleased(): void {
    if (this.localEnded && this.remoteEnded) this.release();
  }

  private release(): void {
    if (this.released) return;
    this.released = true;
    this.owner.released(this.id);
  }
}
