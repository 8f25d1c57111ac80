/**
 * The weft.2 frame format between sidecars: a 9-byte header [type u8][flags u8][stream u32 BE]
 * [length u24 BE] and `length` payload bytes. The decoder is incremental (frames split anywhere
 * across reads), checks everything that needs no stream state, and holds at most one header plus
 * one capped payload; any violation is a reason string that closes the connection.
 */

/** Frame types. */
export const FrameType = {
  /** Opens stream `stream` (client only, odd ids, increasing); payload = the 8-byte weft preamble. */
  Open: 0,
  /** Stream bytes; counted against the receiver's window for that stream. */
  Data: 1,
  /** The sender will send no more DATA on the stream (half-close); empty payload. */
  End: 2,
  /** Aborts the stream in both directions; payload = u32 code (see ResetCode). */
  Reset: 3,
  /** Grants the peer u32 more bytes of DATA on the stream (1 .. 2^31-1). */
  Window: 4,
  /** Stream 0: no streams above u32 `last` will be served; in-flight ones finish; + u32 code. */
  GoAway: 5,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

/** Codes carried by RESET and GOAWAY. */
export const ResetCode = { Cancel: 0, Refused: 1, Protocol: 2, Shutdown: 3 } as const;

export const HEADER_LENGTH = 9;
/** Largest payload a decoder accepts by default (senders split DATA below it). */
export const MAX_FRAME_PAYLOAD = 64 * 1024;
/** Largest stream id (u32, top bit reserved). */
export const MAX_STREAM_ID = 0x7fffffff;
/** Largest window a stream may hold (u31), as in HTTP/2. */
export const MAX_WINDOW = 0x7fffffff;

/** Payload lengths of the fixed-size frames. */
const FIXED_LENGTH: Readonly<Record<number, number>> = {
  [FrameType.Open]: 8,
  [FrameType.End]: 0,
  [FrameType.Reset]: 4,
  [FrameType.Window]: 4,
  [FrameType.GoAway]: 8,
};

/** Writes a frame header into `buf` at `offset`. */
export function writeHeader(
  buf: Buffer,
  offset: number,
  type: FrameType,
  stream: number,
  length: number,
): void {
  buf[offset] = type;
  buf[offset + 1] = 0;
  buf.writeUInt32BE(stream, offset + 2);
  buf[offset + 6] = (length >>> 16) & 0xff;
  buf[offset + 7] = (length >>> 8) & 0xff;
  buf[offset + 8] = length & 0xff;
}

/** One whole frame with its payload as a Buffer (u32 fields available through `payload.readUInt32BE`). */
export function encodeFrame(type: FrameType, stream: number, payload?: Buffer): Buffer {
  const length = payload?.length ?? 0;
  const buf = Buffer.allocUnsafe(HEADER_LENGTH + length);
  writeHeader(buf, 0, type, stream, length);
  if (payload !== undefined) payload.copy(buf, HEADER_LENGTH);
  return buf;
}

/** A u32 payload (WINDOW increment, RESET code). */
export function u32(value: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(value >>> 0, 0);
  return b;
}

/** Receives decoded frames; `payload` is only valid during the call unless copied or kept whole. */
export type FrameHandler = (type: FrameType, stream: number, payload: Buffer) => void;

/** Why the bytes are not weft.2 frames (the metric's `reason` label). */
export type FrameError = 'unknown-type' | 'bad-flags' | 'frame-too-large' | 'bad-length' | 'bad-stream-id';

/**
 * Incremental frame decoder. `feed` calls `onFrame` for every complete frame and returns
 * undefined, or the first error (frames before it were delivered; the decoder is then dead).
 */
export class FrameDecoder {
  /** Bytes of an incomplete frame, kept as received and joined once when it completes. */
  private pending: Buffer[] = [];
  private pendingLength = 0;
  /** Where the incomplete frame ends (header + payload), once its header is known; else 0. */
  private pendingEnd = 0;
  private failed: FrameError | undefined;

  constructor(private readonly maxPayload = MAX_FRAME_PAYLOAD) {}

  /** Bytes held for an incomplete frame (bounded by HEADER_LENGTH + maxPayload). */
  get buffered(): number {
    return this.pendingLength;
  }

  feed(chunk: Buffer, onFrame: FrameHandler): FrameError | undefined {
    if (this.failed !== undefined) return this.failed;
    let buf = chunk;
    if (this.pendingLength > 0) {
      // Complete the held frame with as few copies as possible: one join when it is whole.
      if (this.pendingEnd === 0) {
        const joined = Buffer.concat([...this.pending, chunk]);
        this.clearPending();
        buf = joined;
      } else {
        const need = this.pendingEnd - this.pendingLength;
        if (chunk.length < need) {
          this.hold(chunk);
          return undefined;
        }
        const frame = Buffer.concat([...this.pending, chunk.subarray(0, need)], this.pendingEnd);
        this.clearPending();
        this.deliver(frame, 0, onFrame);
        buf = chunk.subarray(need);
      }
    }
    let at = 0;
    while (buf.length - at >= HEADER_LENGTH) {
      const type = buf[at]!;
      const length = (buf[at + 6]! << 16) | (buf[at + 7]! << 8) | buf[at + 8]!;
      const stream = buf.readUInt32BE(at + 2);
      const error = checkHeader(type, buf[at + 1]!, stream, length, this.maxPayload);
      if (error !== undefined) {
        this.failed = error;
        return error;
      }
      const end = at + HEADER_LENGTH + length;
      if (end > buf.length) {
        this.pendingEnd = HEADER_LENGTH + length;
        break;
      }
      onFrame(type as FrameType, stream, buf.subarray(at + HEADER_LENGTH, end));
      at = end;
    }
    // The rest is kept as a view when it is the caller's chunk (Node hands each read a fresh buffer).
    if (at < buf.length) this.hold(buf === chunk ? buf.subarray(at) : Buffer.from(buf.subarray(at)));
    return undefined;
  }

  private deliver(frame: Buffer, at: number, onFrame: FrameHandler): void {
    const type = frame[at]!;
    const length = (frame[at + 6]! << 16) | (frame[at + 7]! << 8) | frame[at + 8]!;
    onFrame(
      type as FrameType,
      frame.readUInt32BE(at + 2),
      frame.subarray(at + HEADER_LENGTH, at + HEADER_LENGTH + length),
    );
  }

  private hold(piece: Buffer): void {
    this.pending.push(piece);
    this.pendingLength += piece.length;
  }

  private clearPending(): void {
    this.pending = [];
    this.pendingLength = 0;
    this.pendingEnd = 0;
  }
}

/** Checks what a header alone can tell: type, flags, size, stream id 0 or not. */
function checkHeader(
  type: number,
  flags: number,
  stream: number,
  length: number,
  maxPayload: number,
): FrameError | undefined {
  if (type > FrameType.GoAway) return 'unknown-type';
  if (flags !== 0) return 'bad-flags';
  if (length > maxPayload) return 'frame-too-large';
  const fixed = FIXED_LENGTH[type];
  if (fixed !== undefined && length !== fixed) return 'bad-length';
  if (stream > MAX_STREAM_ID) return 'bad-stream-id';
  if ((type === FrameType.GoAway) !== (stream === 0)) return 'bad-stream-id';
  return undefined;
}
