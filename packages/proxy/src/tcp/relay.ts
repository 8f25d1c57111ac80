/**
 * Relays bytes both ways between two sockets with half-close: when one side finishes
 * sending, the other side's write half is ended and the opposite direction keeps flowing.
 * Both sockets are destroyed when both directions are done or either errors.
 */
import type { Socket } from 'node:net';
import { guard } from '../net/guard.js';

/**
 * Connects `a` and `b`; `onDone` runs once when both are closed. With `bReader`, `b` was
 * opened in reader mode (no 'data' events): its bytes arrive through the returned
 * `fromB`, which writes them to `a` with backpressure.
 */
export function relay(
  a: Socket,
  b: Socket,
  onDone?: () => void,
  bReader = false,
): { fromB: (chunk: Buffer) => void } {
  let finished = false;
  let aEnded = false;
  let bEnded = false;
  const done = () => {
    if (finished) return;
    finished = true;
    a.destroy();
    b.destroy();
    onDone?.();
  };
  const fail = () => done();
  guard(a, fail);
  guard(b, fail);
  a.on('close', fail);
  b.on('close', fail);
  a.on('end', () => {
    aEnded = true;
    if (bEnded) done();
  });
  b.on('end', () => {
    bEnded = true;
    if (aEnded) done();
  });
  a.setTimeout(0);
  b.setTimeout(0);
  // pipe() applies backpressure both ways and ends the destination when the source ends
  // (a FIN for TCP, close_notify then FIN for TLS): that is the half-close.
  // A side that already finished sending (seen during detection) is half-closed at once.
  if (a.readableEnded) {
    aEnded = true;
    b.end();
  } else a.pipe(b);
  const fromB = (chunk: Buffer) => {
    if (!a.write(chunk)) {
      b.pause();
      a.once('drain', () => b.resume());
    }
  };
  if (b.readableEnded) {
    bEnded = true;
    a.end();
  } else if (bReader) {
    b.on('end', () => a.end());
  } else b.pipe(a);
  a.resume();
  b.resume();
  return { fromB };
}
