/**
 * A pooled upstream connection is never handed to the next request while it is paused for a
 * client that may never drain. Found under load: when the last chunk of a response met a full
 * client socket, the connection stopped reading until that client drained and went back to the
 * pool as it was; a client that then disconnected never drained, and every later request on the
 * connection waited for its response forever (the gateway after a `wrk` run, with real sockets).
 */
import { EventEmitter, once } from 'node:events';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { upstreamTarget } from '../net/upstream-target.js';
import { loopbackPool, testExchange } from './pool-test-support.js';

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

describe('an upstream connection released after client back-pressure', () => {
  it('reads the next exchange on it although the previous client never drained', async () => {
    let connections = 0;
    let served = 0;
    const server = http.createServer((_req, res) => {
      served++;
      res.end(`response ${served}`);
    });
    server.on('connection', () => connections++);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    closers.push(
      () =>
        new Promise<void>((r) => {
          server.closeAllConnections();
          server.close(() => r());
        }),
    );
    const pool = loopbackPool(4);
    closers.push(() => pool.close());
    const target = upstreamTarget('127.0.0.1', (server.address() as AddressInfo).port);

    // A client whose socket is full and never drains: it went away.
    const gone = new EventEmitter() as unknown as Socket;
    const first = testExchange('/1', { client: gone, full: true, mode: 'raw' });
    pool.forward(first.req, target, false);
    expect(await first.done).toBe('response 1');
    expect(gone.listenerCount('drain')).toBe(0);

    // The next request gets the same pooled connection, and its response.
    const second = testExchange('/2', { mode: 'raw' });
    pool.forward(second.req, target, false);
    expect(await second.done).toBe('response 2');
    expect(connections).toBe(1);
  });
});
