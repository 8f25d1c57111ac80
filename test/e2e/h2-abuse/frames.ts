/**
 * A raw HTTP/2 client for abuse tests: writes frames byte by byte (RFC 9113 §4.1: 9-byte header,
 * then payload) over a plain net socket, with the few HPACK encodings the attacks need, and
 * reads the server's frames back to see its GOAWAY and RST_STREAM codes.
 */
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';

export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

export const FrameType = {
  DATA: 0,
  HEADERS: 1,
  PRIORITY: 2,
  RST_STREAM: 3,
  SETTINGS: 4,
  PING: 6,
  GOAWAY: 7,
  WINDOW_UPDATE: 8,
  CONTINUATION: 9,
} as const;

export const Flag = { END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4 } as const;

/** One frame: header (length, type, flags, stream id) and payload. */
export function frame(
  type: number,
  flags: number,
  streamId: number,
  payload: Buffer = Buffer.alloc(0),
): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId & 0x7fffffff, 5);
  return Buffer.concat([head, payload]);
}

/** A SETTINGS frame with `entries` as [id, value] pairs. */
export function settings(entries: readonly [number, number][] = []): Buffer {
  const p = Buffer.alloc(entries.length * 6);
  entries.forEach(([id, value], i) => {
    p.writeUInt16BE(id, i * 6);
    p.writeUInt32BE(value, i * 6 + 2);
  });
  return frame(FrameType.SETTINGS, 0, 0, p);
}

export function rstStream(streamId: number, code: number): Buffer {
  const p = Buffer.alloc(4);
  p.writeUInt32BE(code);
  return frame(FrameType.RST_STREAM, 0, streamId, p);
}

export function ping(data = 0): Buffer {
  const p = Buffer.alloc(8);
  p.writeUInt32BE(data >>> 0, 4);
  return frame(FrameType.PING, 0, 0, p);
}

/** PRIORITY for `streamId` depending on `dependsOn` (exclusive off, weight 16). */
export function priority(streamId: number, dependsOn: number): Buffer {
  const p = Buffer.alloc(5);
  p.writeUInt32BE(dependsOn & 0x7fffffff);
  p[4] = 15;
  return frame(FrameType.PRIORITY, 0, streamId, p);
}

// ---- HPACK (RFC 7541), just enough to build request header blocks by hand ----

/** An HPACK integer with an `n`-bit prefix whose high bits are `mask`. */
export function hpackInt(value: number, n: number, mask: number): Buffer {
  const max = (1 << n) - 1;
  if (value < max) return Buffer.from([mask | value]);
  const out = [mask | max];
  let rest = value - max;
  while (rest >= 128) {
    out.push((rest % 128) | 0x80);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
  return Buffer.from(out);
}

function hpackString(s: string): Buffer {
  const bytes = Buffer.from(s);
  return Buffer.concat([hpackInt(bytes.length, 7, 0), bytes]);
}

/** A literal header field without indexing, new name. */
export function literal(name: string, value: string): Buffer {
  return Buffer.concat([Buffer.from([0x00]), hpackString(name), hpackString(value)]);
}

/** A literal header field with incremental indexing, new name (enters the dynamic table at index 62). */
export function literalIndexed(name: string, value: string): Buffer {
  return Buffer.concat([Buffer.from([0x40]), hpackString(name), hpackString(value)]);
}

/** An indexed header field (static 1-61, dynamic from 62). */
export function indexed(index: number): Buffer {
  return hpackInt(index, 7, 0x80);
}

/** A dynamic table size update. */
export function tableSizeUpdate(size: number): Buffer {
  return hpackInt(size, 5, 0x20);
}

/** `GET /path` over http with authority `a` (static table entries, one literal). */
export function requestBlock(path = '/', method: 'GET' | 'POST' = 'GET'): Buffer {
  return Buffer.concat([
    indexed(method === 'GET' ? 2 : 3),
    indexed(6), // :scheme http
    path === '/' ? indexed(4) : literal(':path', path),
    literal(':authority', 'a'),
  ]);
}

/** What the server sent on a raw connection. */
export interface RawPeer {
  readonly socket: Socket;
  /** Bytes received so far. */
  received: number;
  /** The code of the first GOAWAY received, if any. */
  goaway: number | undefined;
  /** RST_STREAM codes received, by stream id. */
  readonly resets: Map<number, number>;
  /** HEADERS frames received, by stream id. */
  readonly heads: Set<number>;
  /** Writes `data`, waiting for 'drain' when the socket buffer is full; false once the socket closed. */
  write(data: Buffer): Promise<boolean>;
  /** Resolves when the socket closed. */
  readonly closed: Promise<void>;
}

/** Opens a raw h2c connection to 127.0.0.1:`port` and sends the preface and `initialSettings`. */
export async function rawConnect(port: number, initialSettings: Buffer = settings()): Promise<RawPeer> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  await once(socket, 'connect');
  let pending = Buffer.alloc(0);
  const peer: RawPeer = {
    socket,
    received: 0,
    goaway: undefined,
    resets: new Map(),
    heads: new Set(),
    closed: new Promise<void>((resolve) => socket.once('close', () => resolve())),
    async write(data) {
      if (socket.destroyed || socket.writableEnded) return false;
      if (socket.write(data)) return true;
      await new Promise<void>((resolve) => {
        socket.once('drain', resolve);
        socket.once('close', resolve);
      });
      return !socket.destroyed;
    },
  };
  socket.on('data', (chunk: Buffer) => {
    peer.received += chunk.length;
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 9) {
      const len = pending.readUIntBE(0, 3);
      if (pending.length < 9 + len) break;
      const type = pending[3]!;
      const id = pending.readUInt32BE(5) & 0x7fffffff;
      const payload = pending.subarray(9, 9 + len);
      if (type === FrameType.GOAWAY && peer.goaway === undefined) peer.goaway = payload.readUInt32BE(4);
      if (type === FrameType.RST_STREAM) peer.resets.set(id, payload.readUInt32BE(0));
      if (type === FrameType.HEADERS) peer.heads.add(id);
      pending = pending.subarray(9 + len);
    }
  });
  socket.write(Buffer.concat([PREFACE, initialSettings]));
  return peer;
}
