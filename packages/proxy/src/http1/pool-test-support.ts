/**
 * For the HTTP/1 pool's tests (pool.test.ts, release-paused.test.ts): a pool that dials plain
 * TCP on loopback, and a client request as the pool sees it, without a client connection.
 */
import { EventEmitter } from 'node:events';
import { connect, type Socket } from 'node:net';
import type { WeftError } from '@weft/core';
import type { Connector } from '../net/connector.js';
import { createProxyMetrics } from '../telemetry/proxy-metrics.js';
import { type MessageHead, NO_BODY } from './head-parser.js';
import { Http1Pool } from './pool.js';
import type { ClientBodyMode } from './serialize.js';
import type { ResponseSink, UpstreamExchange } from './upstream-connection.js';

/** A pool over plain TCP; the caller closes it. */
export function loopbackPool(maxIdlePerTarget = 16): Http1Pool {
  const connector: Connector = {
    connect: (target) =>
      new Promise((resolve, reject) => {
        const s = connect(target.port, target.address, () => resolve(s));
        s.once('error', reject);
      }),
  };
  return new Http1Pool({
    connector,
    limits: { maxHeadBytes: 64 * 1024, maxHeaders: 256 },
    metrics: createProxyMetrics(() => 0),
    maxIdlePerTarget,
    idleTimeoutMs: 60_000,
  });
}

export interface TestExchangeOptions {
  /** The client's socket as the upstream connection sees it (default: one that never emits). */
  readonly client?: Socket;
  /** Every body write reports the client's buffer over its high-water mark (a slow or gone client). */
  readonly full?: boolean;
  readonly mode?: ClientBodyMode;
}

/** A GET for `path` as the pool sees it; `done` resolves with the response body (or why none came). */
export function testExchange(
  path: string,
  o: TestExchangeOptions = {},
): { req: UpstreamExchange; done: Promise<string>; failed: WeftError[] } {
  const body: Buffer[] = [];
  const failed: WeftError[] = [];
  let finish: (b: string) => void = () => {};
  const done = new Promise<string>((r) => {
    finish = r;
  });
  const head: MessageHead = {
    method: 'GET',
    target: path,
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
  const sink: ResponseSink = {
    socket: o.client ?? (new EventEmitter() as unknown as Socket),
    mode: o.mode ?? 'dechunk',
    attachBody: (t) => t.end(),
    writeInterim: () => {},
    writeHead: () => {},
    flushHead: () => {},
    writeBody: (chunk) => {
      body.push(Buffer.from(chunk));
      return o.full !== true;
    },
    endResponse: () => finish(Buffer.concat(body).toString()),
    takeOver: () => {
      throw new Error('no upgrades here');
    },
    destroy: () => finish('destroyed'),
  };
  const req: UpstreamExchange = {
    head,
    conn: sink,
    direction: 'outbound',
    abortUpstream: () => {},
    upstreamFailed: (e) => {
      failed.push(e);
      finish(`failed: ${e.message}`);
    },
  };
  return { req, done, failed };
}
