/**
 * A relay on loopback for the opaque-TCP tests: client -> listener -> relayOpaque -> server.
 * The listener accepts like the proxy (allowHalfOpen, pauseOnConnect) and dials the server.
 */
import { once } from 'node:events';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { guard } from '../src/net/guard.js';
import { type RelayMode, relayOpaque } from '../src/tcp/splice-relay.js';

export interface RelayHarness {
  /** Dials the relay; resolves once the client is connected. */
  dial(): Promise<Socket>;
  /** Modes of the relays started so far. */
  readonly modes: RelayMode[];
  /** The proxy-side accepted sockets (in order). */
  readonly accepted: Socket[];
  /** Resolves with the n-th relay's end (onDone). */
  relayDone(n: number): Promise<void>;
  close(): Promise<void>;
}

function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  return once(server, 'listening').then(() => (server.address() as AddressInfo).port);
}

/**
 * Starts a server running `onServerSocket` per connection and a relay in front of it.
 * `beforeRelay` runs on the accepted socket first (e.g. to let bytes reach its JS buffer).
 */
export async function startRelay(
  onServerSocket: (s: Socket) => void,
  beforeRelay?: (accepted: Socket) => Promise<void>,
): Promise<RelayHarness> {
  const server = guard(createServer({ allowHalfOpen: true }, (s) => onServerSocket(guard(s))));
  const serverPort = await listen(server);
  const modes: RelayMode[] = [];
  const accepted: Socket[] = [];
  const done = new Map<number, { promise: Promise<void>; resolve: () => void }>();
  const slot = (n: number) => {
    let d = done.get(n);
    if (d === undefined) {
      let resolve: () => void = () => {};
      const promise = new Promise<void>((r) => {
        resolve = r;
      });
      d = { promise, resolve };
      done.set(n, d);
    }
    return d;
  };
  const proxy = guard(
    createServer({ allowHalfOpen: true, pauseOnConnect: true }, (a) => {
      guard(a);
      const n = accepted.length;
      accepted.push(a);
      void (beforeRelay?.(a) ?? Promise.resolve()).then(() => {
        const b = guard(connect({ port: serverPort, host: '127.0.0.1', allowHalfOpen: true }));
        b.once('connect', () => {
          modes.push(relayOpaque(a, b, () => slot(n).resolve()));
        });
        b.once('error', () => {
          a.destroy();
          slot(n).resolve();
        });
      });
    }),
  );
  const proxyPort = await listen(proxy);
  return {
    modes,
    accepted,
    relayDone: (n) => slot(n).promise,
    async dial() {
      const c = guard(connect({ port: proxyPort, host: '127.0.0.1', allowHalfOpen: true }));
      await once(c, 'connect');
      return c;
    },
    async close() {
      for (const a of accepted) a.destroy();
      await Promise.all([
        new Promise<void>((r) => proxy.close(() => r())),
        new Promise<void>((r) => server.close(() => r())),
      ]);
    },
  };
}

/** Everything `socket` sends until its FIN (rejects on error). */
export function readToEnd(socket: Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.once('end', () => resolve(Buffer.concat(chunks)));
    socket.once('error', reject);
  });
}

/** Resolves when `socket` closed, however (error or not). */
export function closed(socket: Socket): Promise<void> {
  if (socket.closed) return Promise.resolve();
  return new Promise((resolve) => socket.once('close', () => resolve()));
}
