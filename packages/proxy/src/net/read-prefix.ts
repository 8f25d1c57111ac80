/** Reads the first bytes of a socket without losing them: the caller unshifts or forwards them. */
import type { Socket } from 'node:net';

/**
 * Collects data from `socket` until `enough(buffered)` says so, the timeout passes, or the
 * socket ends. Resolves with what was read (possibly empty) and why it stopped; the
 * socket is left paused with no data listener, so the caller can unshift the bytes back.
 */
export function readPrefix(
  socket: Socket,
  enough: (buffered: Buffer) => boolean,
  timeoutMs: number,
): Promise<{ data: Buffer; reason: 'enough' | 'timeout' | 'end' }> {
  return new Promise((resolve) => {
    let data: Buffer = Buffer.alloc(0);
    let done = false;
    const finish = (reason: 'enough' | 'timeout' | 'end') => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.pause();
      resolve({ data, reason });
    };
    const onData = (chunk: Buffer) => {
      data = data.length === 0 ? chunk : Buffer.concat([data, chunk]);
      if (enough(data)) finish('enough');
    };
    const onEnd = () => finish('end');
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('close', onEnd);
    socket.resume();
  });
}
