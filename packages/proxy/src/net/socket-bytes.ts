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
}

const offloaded = new WeakMap<Socket, Offload>();

/** From now on, `counts[read]` and `counts[written]` also count bytes read from and written to `socket`. */
export function offloadBytes(socket: Socket, counts: Float64Array, read: number, written: number): void {
  offloaded.set(socket, { counts, read, written });
}

/** Bytes read from `socket`, by Node and by the relay it was handed to. */
export function bytesRead(socket: Socket): number {
  const o = offloaded.get(socket);
  return socket.bytesRead + (o === undefined ? 0 : o.counts[o.read]!);
}

/** Bytes written to `socket`, by Node and by the relay it was handed to. */
export function bytesWritten(socket: Socket): number {
  const o = offloaded.get(socket);
  return socket.bytesWritten + (o === undefined ? 0 : o.counts[o.written]!);
}
