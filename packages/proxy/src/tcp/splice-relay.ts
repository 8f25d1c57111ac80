/**
 * Opaque TCP between two plain sockets through the addon's splice(2) relay, so the bytes
 * never enter JavaScript; the JS relay (tcp/relay.ts) where an end is TLS or the addon is
 * not built. The addon works on duplicates of both fds; Node's own handles are closed at the
 * hand-off, so a spliced connection holds two fds like a copied one (not four: at 5,000
 * connections the proxy would hit a 20,000 open-file limit and refuse even its admin port).
 * The Socket objects stay, without a handle, until the relay ends: connection limits, drain and
 * metrics still see them, and destroying one cancels the relay.
 */

import type { Socket } from 'node:net';
import { constants } from 'node:os';
import { guard } from '../net/guard.js';
import { offloadBytes } from '../net/socket-bytes.js';
import { loadSplice, type SpliceAddon, type SpliceHandle } from '../net/splice.js';
import { relay } from './relay.js';

/** The fields of Node's TCP handle the hand-off uses (internal: `socket._handle`). */
interface TcpHandle {
  fd?: number;
  reading?: boolean;
  readStop?: () => number;
  close?: () => void;
}

const EMPTY = Buffer.alloc(0);

/**
 * Pipe capacity asked of the kernel for new pipes; 0 keeps its default (64 KiB, 16 pages).
 * Larger pipes spend the per-user pipe budget (fs.pipe-user-pages-soft, 16,384 pages) faster;
 * past it an unprivileged process gets 2-page pipes, which still work, only slower.
 */
let pipeBytes = 0;

/** Sets the pipe capacity for relays started from now on (measurements). */
export function setSplicePipeBytes(bytes: number): void {
  pipeBytes = bytes;
}
const ECANCELED = constants.errno.ECANCELED;

function handleOf(socket: Socket): TcpHandle | undefined {
  return (socket as unknown as { _handle?: TcpHandle | null })._handle ?? undefined;
}

/** The fd of a connected plain-TCP socket (not TLS, not destroyed), else undefined. */
export function plainFd(socket: Socket): number | undefined {
  if ((socket as { encrypted?: boolean }).encrypted === true || socket.destroyed || socket.connecting)
    return undefined;
  const h = handleOf(socket);
  if (h === undefined || typeof h.fd !== 'number' || h.fd < 0 || typeof h.readStop !== 'function')
    return undefined;
  return h.fd;
}

/** How a relay carries its bytes. */
export type RelayMode = 'splice' | 'copy';

const started: Record<RelayMode, number> = { splice: 0, copy: 0 };

/** Opaque relays started so far in this process, by mode (tests and diagnostics). */
export function relaysStarted(): Readonly<Record<RelayMode, number>> {
  return { ...started };
}

/**
 * Relays `a` <-> `b` as opaque TCP with half-close; `onDone` runs once when both sockets are
 * closed (and, with splice, after the addon closed its duplicates). Splice when both are
 * plain TCP and the addon is loaded, else the JS copy. Returns the mode chosen.
 */
export function relayOpaque(a: Socket, b: Socket, onDone?: () => void): RelayMode {
  const addon = loadSplice();
  if (addon === undefined || plainFd(a) === undefined || plainFd(b) === undefined) {
    relay(a, b, onDone);
    started.copy++;
    return 'copy';
  }
  spliceRelay(addon, a, b, onDone);
  started.splice++;
  return 'splice';
}

/** Stops Node reading `socket` and returns what its stream had already read. */
function takeOver(socket: Socket): Buffer {
  socket.pause();
  const chunks: Buffer[] = [];
  // read() may restart the handle's reading to refill; it is stopped again below, in the same
  // tick, before the event loop can deliver another read.
  for (let c: Buffer | null = socket.read(); c !== null; c = socket.read()) chunks.push(c);
  const h = handleOf(socket);
  if (h !== undefined) {
    h.reading = false;
    h.readStop?.();
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

/**
 * Closes Node's handle of a socket the addon now relays through its duplicate fd; the Socket
 * object stays (no handle: it does no I/O, and `destroy()` just emits 'close').
 */
function release(socket: Socket): void {
  const h = handleOf(socket);
  if (h === undefined) return;
  // Node caches the peer's address once read: remoteAddress/remotePort stay readable without
  // the handle (the local address does not; nothing reads it after accept).
  void socket.remotePort;
  (socket as unknown as { _handle: TcpHandle | null })._handle = null;
  h.close?.();
}

/** Runs `then` once every write queued on `socket` so far reached the kernel (or failed). */
function whenFlushed(socket: Socket, then: () => void): void {
  if (socket.writableLength === 0) then();
  else socket.write(EMPTY, () => then());
}

function spliceRelay(addon: SpliceAddon, a: Socket, b: Socket, onDone?: () => void): void {
  let handle: SpliceHandle | undefined;
  let running = false;
  let detached = false;
  let ended = false;
  const end = (errno = 0, side = -1) => {
    if (ended) return;
    ended = true;
    running = false;
    // A reset or error on one side is passed on as a reset, so a peer never takes a broken
    // stream for a complete one (a FIN would say "all sent").
    // (After the hand-off the addon has already reset both: SO_LINGER 0 on its fds.)
    const failed = side === 0 ? a : side === 1 ? b : undefined;
    const other = side === 0 ? b : side === 1 ? a : undefined;
    failed?.destroy();
    if (!detached && other !== undefined && errno !== 0 && errno !== ECANCELED && !other.destroyed)
      other.resetAndDestroy();
    a.destroy();
    b.destroy();
    onDone?.();
  };
  // The addon reports a throw from its callback as an uncaught exception: none may escape.
  const onEnd = (errno: number, side: number) => {
    try {
      end(errno, side);
    } catch {
      a.destroy();
      b.destroy();
    }
  };
  const abort = () => {
    if (running && handle !== undefined)
      addon.spliceClose(handle); // the addon then calls end()
    else end();
  };
  guard(a, abort);
  guard(b, abort);
  a.on('close', abort);
  b.on('close', abort);
  a.setTimeout(0);
  b.setTimeout(0);
  const fromA = takeOver(a);
  const fromB = takeOver(b);
  if (fromA.length > 0) b.write(fromA);
  if (fromB.length > 0) a.write(fromB);
  const start = () => {
    if (ended) return;
    const fdA = plainFd(a);
    const fdB = plainFd(b);
    if (fdA === undefined || fdB === undefined) {
      end();
      return;
    }
    // Off-heap storage, so the address the addon keeps stays valid.
    const counts = new Float64Array(new ArrayBuffer(4 * Float64Array.BYTES_PER_ELEMENT));
    try {
      handle = addon.spliceRelay(fdA, fdB, counts, onEnd, pipeBytes);
    } catch {
      end(); // fds or pipes exhausted: close this connection, keep serving
      return;
    }
    running = true;
    offloadBytes(a, counts, 0, 3);
    offloadBytes(b, counts, 2, 1);
    detached = true;
    release(a);
    release(b);
  };
  whenFlushed(a, () => whenFlushed(b, start));
}
