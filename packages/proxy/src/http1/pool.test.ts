/**
 * The HTTP/1 pool under a destination's connection policy, against a real app on 127.0.0.1:
 * `maxConnections` makes requests wait (FIFO) for a connection of their group, a released
 * connection goes to the next one, and `idleTimeoutMs` closes idle connections.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConnectionPolicy } from '../net/upstream-target.js';
import { upstreamTarget } from '../net/upstream-target.js';
import type { Http1Pool } from './pool.js';
import { loopbackPool, testExchange } from './pool-test-support.js';

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

/** An app that holds each request until the test releases it; counts connections. */
async function app() {
  const held: http.ServerResponse[] = [];
  const waiters: (() => void)[] = [];
  let connections = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    held.push(res);
    for (const w of waiters.splice(0)) w();
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
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => connections,
    /** Resolves when `n` requests have arrived. */
    arrived: (n: number) =>
      new Promise<void>((resolve) => {
        const check = () => (held.length >= n ? resolve() : waiters.push(check));
        check();
      }),
    answer: (i: number, body: string) => held[i]?.end(body),
  };
}

function pool(): Http1Pool {
  const p = loopbackPool();
  closers.push(() => p.close());
  return p;
}

const exchange = (path: string) => testExchange(path);

describe('Http1Pool with a connection policy', () => {
  it('holds requests beyond maxConnections until a connection is released, in order', async () => {
    const a = await app();
    const p = pool();
    const target = upstreamTarget('127.0.0.1', a.port);
    const policy: ConnectionPolicy = { group: 'api', maxConnections: 1, idleTimeoutMs: 60_000 };
    const first = exchange('/1');
    const second = exchange('/2');
    const third = exchange('/3');
    p.forward(first.req, target, false, policy);
    p.forward(second.req, target, false, policy);
    p.forward(third.req, target, false, policy);
    expect(p.waiting).toBe(2);
    await a.arrived(1);
    a.answer(0, 'one');
    expect(await first.done).toBe('one');
    await a.arrived(2);
    a.answer(1, 'two');
    expect(await second.done).toBe('two');
    await a.arrived(3);
    a.answer(2, 'three');
    expect(await third.done).toBe('three');
    expect(a.connections()).toBe(1);
    expect(p.size).toBe(1);
    expect(p.waiting).toBe(0);
  });

  it('counts groups apart, and closes an idle connection to another target to make room', async () => {
    const a = await app();
    const b = await app();
    const p = pool();
    const policy: ConnectionPolicy = { group: 'api', maxConnections: 1, idleTimeoutMs: 60_000 };
    const toA = exchange('/a');
    p.forward(toA.req, upstreamTarget('127.0.0.1', a.port), false, policy);
    // Another destination's group is not limited by this one.
    const other = exchange('/other');
    p.forward(other.req, upstreamTarget('127.0.0.1', b.port), false, { ...policy, group: 'web' });
    expect(p.waiting).toBe(0);
    await a.arrived(1);
    a.answer(0, 'a');
    expect(await toA.done).toBe('a');
    // The group's one connection is idle (to a); a request to b replaces it.
    const toB = exchange('/b');
    p.forward(toB.req, upstreamTarget('127.0.0.1', b.port), false, policy);
    await b.arrived(2);
    b.answer(0, 'other');
    b.answer(1, 'b');
    expect(await toB.done).toBe('b');
    expect(await other.done).toBe('other');
    expect(p.size).toBe(2);
  });

  it('closes an idle connection after the policy idle timeout', async () => {
    const a = await app();
    const p = pool();
    const x = exchange('/x');
    p.forward(x.req, upstreamTarget('127.0.0.1', a.port), false, {
      group: 'api',
      maxConnections: 10,
      idleTimeoutMs: 20,
    });
    await a.arrived(1);
    a.answer(0, 'x');
    expect(await x.done).toBe('x');
    // The pool forgets the connection when its idle timer closes it (no timing asserted).
    await new Promise<void>((resolve) => {
      const check = () => (p.size === 0 ? resolve() : setImmediate(check));
      check();
    });
    expect(p.size).toBe(0);
  });

  it('hands a waiting request a new connection when the failed dial frees the slot', async () => {
    const a = await app();
    const p = pool();
    const dead = http.createServer();
    dead.listen(0, '127.0.0.1');
    await once(dead, 'listening');
    const deadPort = (dead.address() as AddressInfo).port;
    await new Promise<void>((r) => dead.close(() => r()));
    const policy: ConnectionPolicy = { group: 'api', maxConnections: 1, idleTimeoutMs: 60_000 };
    const refused = exchange('/dead');
    const next = exchange('/next');
    p.forward(refused.req, upstreamTarget('127.0.0.1', deadPort), false, policy);
    p.forward(next.req, upstreamTarget('127.0.0.1', a.port), false, policy);
    expect(p.waiting).toBe(1);
    expect(await refused.done).toMatch(/^failed/);
    await a.arrived(1);
    a.answer(0, 'next');
    expect(await next.done).toBe('next');
  });
});
