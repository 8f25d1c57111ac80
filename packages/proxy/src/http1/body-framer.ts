/**
 * Finds where a message body ends in a byte stream, validating chunked framing strictly, so
 * the proxy forwards exactly one message and never lets extra bytes smuggle a second one.
 * The bytes are forwarded as they came (chunk sizes and trailers included) once validated;
 * `onData` can also receive only the payload ranges, to de-chunk for HTTP/1.0 clients.
 */
import type { Framing } from './head-parser.js';

enum State {
  Size = 0,
  Ext = 1,
  SizeLf = 2,
  Data = 3,
  DataCr = 4,
  DataLf = 5,
  TrailerStart = 6,
  TrailerLine = 7,
  TrailerLf = 8,
  FinalLf = 9,
  Done = 10,
}

/** The result of feeding bytes: how many belong to this body, and whether it is complete. */
export type FeedResult =
  | { readonly type: 'more'; readonly used: number }
  | { readonly type: 'done'; readonly used: number }
  | { readonly type: 'error'; readonly reason: string };

const MAX_TRAILER_BYTES = 8192;

/**
 * Tracks one body; reset() makes it reusable for the next message on the connection.
 * `feed` returns one of two result objects owned by the framer (read it before the next
 * call): no allocation per chunk on the hot path.
 */
export class BodyFramer {
  private readonly moreResult = { type: 'more' as const, used: 0 };
  private readonly doneResult = { type: 'done' as const, used: 0 };

  private kind: Framing['kind'] = 'none';
  private remaining = 0;
  private state = State.Size;
  private size = 0;
  private sizeDigits = 0;
  private trailerBytes = 0;
  /** Receives payload ranges of chunked bodies when set (for de-chunking). */
  onPayload: ((buf: Buffer, start: number, end: number) => void) | undefined;

  reset(framing: Framing): void {
    this.kind = framing.kind;
    this.remaining = framing.kind === 'length' ? framing.length : 0;
    this.state = State.Size;
    this.size = 0;
    this.sizeDigits = 0;
    this.trailerBytes = 0;
  }

  /** True when the body needs no more bytes. */
  get complete(): boolean {
    return (
      this.kind === 'none' || (this.kind === 'length' && this.remaining === 0) || this.state === State.Done
    );
  }

  private more(used: number): FeedResult {
    this.moreResult.used = used;
    return this.moreResult;
  }

  private done(used: number): FeedResult {
    this.doneResult.used = used;
    return this.doneResult;
  }

  /** Consumes bytes of `buf` from `start`; bytes past `used` belong to the next message. */
  feed(buf: Buffer, start: number): FeedResult {
    const available = buf.length - start;
    switch (this.kind) {
      case 'none':
        return this.done(0);
      case 'close':
        return this.more(available);
      case 'length': {
        const used = Math.min(available, this.remaining);
        this.remaining -= used;
        if (this.onPayload !== undefined && used > 0) this.onPayload(buf, start, start + used);
        return this.remaining === 0 ? this.done(used) : this.more(used);
      }
      case 'chunked':
        return this.feedChunked(buf, start);
    }
  }

  private feedChunked(buf: Buffer, start: number): FeedResult {
    let i = start;
    const n = buf.length;
    while (i < n) {
      const c = buf[i]!;
      switch (this.state) {
        case State.Size: {
          const digit = hexValue(c);
          if (digit >= 0) {
            if (++this.sizeDigits > 12) return { type: 'error', reason: 'chunk size too large' };
            this.size = this.size * 16 + digit;
          } else if (this.sizeDigits === 0) {
            return { type: 'error', reason: 'invalid chunk size' };
          } else if (c === 0x3b /* ; */) {
            this.state = State.Ext;
          } else if (c === 13) {
            this.state = State.SizeLf;
          } else {
            return { type: 'error', reason: 'invalid chunk size' };
          }
          i++;
          break;
        }
        case State.Ext:
          if (c === 13) this.state = State.SizeLf;
          else if (c < 0x20 || c === 0x7f) return { type: 'error', reason: 'invalid chunk extension' };
          i++;
          break;
        case State.SizeLf:
          if (c !== 10) return { type: 'error', reason: 'bare CR in chunk size line' };
          i++;
          if (this.size === 0) {
            this.state = State.TrailerStart;
          } else {
            this.remaining = this.size;
            this.state = State.Data;
          }
          break;
        case State.Data: {
          const take = Math.min(this.remaining, n - i);
          if (this.onPayload !== undefined) this.onPayload(buf, i, i + take);
          i += take;
          this.remaining -= take;
          if (this.remaining === 0) this.state = State.DataCr;
          break;
        }
        case State.DataCr:
          if (c !== 13) return { type: 'error', reason: 'chunk data longer than its size' };
          this.state = State.DataLf;
          i++;
          break;
        case State.DataLf:
          if (c !== 10) return { type: 'error', reason: 'bare CR after chunk data' };
          this.state = State.Size;
          this.size = 0;
          this.sizeDigits = 0;
          i++;
          break;
        case State.TrailerStart:
          if (c === 13) this.state = State.FinalLf;
          else if (isTokenByte(c)) this.state = State.TrailerLine;
          else return { type: 'error', reason: 'invalid trailer field' };
          i++;
          break;
        case State.TrailerLine:
          if (++this.trailerBytes > MAX_TRAILER_BYTES) return { type: 'error', reason: 'trailers too large' };
          if (c === 13) this.state = State.TrailerLf;
          else if (c === 10 || (c < 0x20 && c !== 9) || c === 0x7f) {
            return { type: 'error', reason: 'invalid byte in trailer' };
          }
          i++;
          break;
        case State.TrailerLf:
          if (c !== 10) return { type: 'error', reason: 'bare CR in trailer' };
          this.state = State.TrailerStart;
          i++;
          break;
        case State.FinalLf:
          if (c !== 10) return { type: 'error', reason: 'bare CR at end of chunked body' };
          this.state = State.Done;
          return this.done(i + 1 - start);
        case State.Done:
          return this.done(i - start);
      }
    }
    return this.more(n - start);
  }
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

function isTokenByte(c: number): boolean {
  return (
    (c >= 0x30 && c <= 0x39) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x61 && c <= 0x7a) ||
    c === 0x21 ||
    (c >= 0x23 && c <= 0x27) ||
    c === 0x2a ||
    c === 0x2b ||
    c === 0x2d ||
    c === 0x2e ||
    c === 0x5e ||
    c === 0x5f ||
    c === 0x60 ||
    c === 0x7c ||
    c === 0x7e
  );
}
