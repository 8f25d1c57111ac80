/**
 * Byte counts of sockets whose bytes move outside Node's streams (the splice relay): the
 * relay registers a live counter per socket, and metrics read `bytesRead(socket)` /
 * `bytesWritten(socket)`, which add it to what Node itself counted.
 */
import type { Socket } from 'node:net';

interface Offload {
  readonly counts: Float64Array;
  readonly read: number;
  readonly written: number;
  /** What Node had counted at the hand-off (it counts nothing after, and may forget it). */
  readonly baseRead: number;
  readonly baseWritten: number;
}

const offloaded = new WeakMap<Socket, Offload>();

/**
 * From now on, `counts[read]` and `counts[written]` count bytes read from and written to
 * `socket` beyond what Node had counted so far (Node does no I/O on it after the hand-off).
 */
export function offloadBytes(socket: Socket, counts: Float64Array, read: number, written: number): void {
  offloaded.set(socket, {
    counts,
    read,
    written,
    baseRead: socket.bytesRead,
    baseWritten: socket.bytesWritten,
  });
}

/** Bytes read from `socket`, by Node and by the relay it was handed to. */
export function bytesRead(socket: Socket): number {
  const o = offloaded.get(socket);
  return o === undefined ? socket.bytesRead : o.baseRead + o.counts[o.read]!;
}

/** Bytes written to `socket`, by Node and by the relay it was handed to. */
export function bytesWritten(socket: Socket): number {
  const o = offloaded.get(socket);
  return o === undefined ? socket.bytesWritten : o.baseWritten + o.counts[o.written]!;
}
