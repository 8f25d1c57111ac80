/**
 * A pooled upstream connection is never handed to the next request while it is paused for a
 * client that may never drain. Found under load: when the last chunk of a response met a full
 * client socket, the connection stopped reading until that client drained and went back to the
 * pool as it was; a client that then disconnected never drained, and every later request on the
 * connection waited for its response forever (the gateway after a `wrk` run, with real sockets).
 */
import { EventEmitter, once } from 'node:events';
import http from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Connector } from '../net/connector.js';
import { upstreamTarget } from '../net/upstream-target.js';
import { createProxyMetrics } from '../telemetry/proxy-metrics.js';
import { type MessageHead, NO_BODY } from './head-parser.js';
import { Http1Pool } from './pool.js';
import type { ResponseSink, UpstreamExchange } from './upstream-connection.js';

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

const HEAD: MessageHead = {
  method: 'GET',
  target: '/',
  status: 0,
  reason: '',
  version: 11,
  headers: ['host', 'app'],
  host: 'app',
  framing: NO_BODY,
  close: false,
  upgrade: '',
  expectContinue: false,
  contentLength: -1,
};

/**
 * A request whose client socket is `client`; `full`: every body write reports the client's
 * buffer over its high-water mark (as a slow or vanished client's does).
 */
function exchange(client: Socket, full: boolean): { req: UpstreamExchange; done: Promise<string> } {
  const body: Buffer[] = [];
  let finish: (b: string) => void = () => {};
  const done = new Promise<string>((r) => {
    finish = r;
  });
  const sink: ResponseSink = {
    socket: client,
    mode: 'raw',
    attachBody: (t) => t.end(),
    writeInterim: () => {},
    writeHead: () => {},
    flushHead: () => {},
    writeBody: (chunk) => {
      body.push(Buffer.from(chunk));
      return !full;
    },
    endResponse: () => finish(Buffer.concat(body).toString()),
    takeOver: () => {
      throw new Error('no upgrades here');
    },
    destroy: () => finish('destroyed'),
  };
  const req: UpstreamExchange = {
    head: HEAD,
    conn: sink,
    direction: 'outbound',
    abortUpstream: () => {},
    upstreamFailed: (e) => finish(`failed: ${e.message}`),
  };
  return { req, done };
}

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
    const connector: Connector = {
      connect: (target) =>
        new Promise((resolve, reject) => {
          const s = connect(target.port, target.address, () => resolve(s));
          s.once('error', reject);
        }),
    };
    const pool = new Http1Pool({
      connector,
      limits: { maxHeadBytes: 64 * 1024, maxHeaders: 256 },
      metrics: createProxyMetrics(() => 0),
      maxIdlePerTarget: 4,
      idleTimeoutMs: 60_000,
    });
    closers.push(() => pool.close());
    const target = upstreamTarget('127.0.0.1', (server.address() as AddressInfo).port);

    // A client whose socket is full and never drains: it went away.
    const gone = new EventEmitter() as unknown as Socket;
    const first = exchange(gone, true);
    pool.forward(first.req, target, false);
    expect(await first.done).toBe('response 1');
    expect(gone.listenerCount('drain')).toBe(0);

    // The next request gets the same pooled connection, and its response.
    const second = exchange(new EventEmitter() as unknown as Socket, false);
    pool.forward(second.req, target, false);
    expect(await second.done).toBe('response 2');
    expect(connections).toBe(1);
  });
});
