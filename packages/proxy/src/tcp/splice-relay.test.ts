/** The opaque relay over real loopback sockets, with splice (the addon) and with the JS copy (fallback). */
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import type { Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closed, type RelayHarness, readToEnd, startRelay } from '../../testing/tcp-relay.js';
import { loadSplice, setSpliceDisabled } from '../net/splice.js';

const harnesses: RelayHarness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
});

async function relayTo(onServer: (s: Socket) => void, before?: (a: Socket) => Promise<void>) {
  const h = await startRelay(onServer, before);
  harnesses.push(h);
  return h;
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('the splice addon', () => {
  it('is loaded where it is built (npm test builds it) and off when disabled', () => {
    if (process.platform !== 'linux') {
      expect(loadSplice()).toBeUndefined();
      return;
    }
    expect(typeof loadSplice()?.spliceRelay).toBe('function');
    setSpliceDisabled(true);
    expect(loadSplice()).toBeUndefined();
    setSpliceDisabled(false);
    expect(loadSplice()).toBeDefined();
  });
});

describe.each(['splice', 'copy'] as const)('opaque relay (%s)', (mode) => {
  beforeAll(() => setSpliceDisabled(mode === 'copy'));
  afterAll(() => setSpliceDisabled(false));
  const expected = mode === 'splice' && process.platform === 'linux' ? 'splice' : 'copy';

  it('keeps half-close from the client: it ends its writes and still gets the reply', async () => {
    const h = await relayTo((s) => {
      const got: Buffer[] = [];
      s.on('data', (c: Buffer) => got.push(c));
      s.on('end', () => s.end(`reply:${Buffer.concat(got).toString()}`));
    });
    const c = await h.dial();
    const reply = readToEnd(c);
    c.write('one-');
    c.end('two');
    expect((await reply).toString()).toBe('reply:one-two');
    await h.relayDone(0);
    expect(h.modes).toEqual([expected]);
  });

  it('keeps half-close from the server: it ends first and still receives the client', async () => {
    let serverGot: Promise<Buffer> = Promise.resolve(Buffer.alloc(0));
    const h = await relayTo((s) => {
      serverGot = readToEnd(s);
      s.end('banner'); // server speaks first, then finishes sending
    });
    const c = await h.dial();
    expect((await readToEnd(c)).toString()).toBe('banner');
    c.end('after-the-server-finished');
    await h.relayDone(0);
    expect((await serverGot).toString()).toBe('after-the-server-finished');
    expect(h.modes).toEqual([expected]);
  });

  it('forwards bytes already read into JS before the hand-off, in order', async () => {
    let first: () => void = () => {};
    const firstArrived = new Promise<void>((r) => {
      first = r;
    });
    let serverGot: Promise<Buffer> = Promise.resolve(Buffer.alloc(0));
    const h = await relayTo(
      (s) => {
        serverGot = readToEnd(s);
        s.once('data', () => first());
        s.end();
      },
      // The relay starts only once 'early|' sits in the accepted socket's stream buffer.
      (a) => once(a, 'readable').then(() => {}),
    );
    const c = await h.dial();
    c.write('early|');
    await firstArrived; // the relay is running: 'late' takes the relay's own path
    c.end('late');
    expect((await serverGot).toString()).toBe('early|late');
    await h.relayDone(0);
    expect(h.modes).toEqual([expected]);
  });

  it('carries 64 MiB each way intact', async () => {
    const h = await relayTo((s) => s.pipe(s)); // echo, FIN after FIN
    const c = await h.dial();
    const data = randomBytes(64 * 1024 * 1024);
    const back = readToEnd(c);
    c.end(data);
    const got = await back;
    expect(got.length).toBe(data.length);
    expect(sha(got)).toBe(sha(data));
    await h.relayDone(0);
  });

  it('closes the server side when the client resets mid-transfer', async () => {
    let serverSocket: Promise<Socket> | undefined;
    const h = await relayTo((s) => {
      serverSocket = Promise.resolve(s);
      const chunk = Buffer.alloc(256 * 1024, 7);
      const pump = () => {
        while (!s.destroyed && s.write(chunk));
      };
      s.on('drain', pump);
      pump();
    });
    const c = await h.dial();
    await once(c, 'data'); // the transfer is under way
    c.resetAndDestroy();
    await h.relayDone(0);
    const s = await serverSocket!;
    await closed(s);
    expect(s.destroyed).toBe(true);
  });

  it('costs two fds per relayed connection, one per socket, as many as a copy', async () => {
    if (process.platform !== 'linux') return;
    const h = await relayTo((s) => {
      s.on('data', (d: Buffer) => s.write(d));
      s.on('end', () => s.end());
    });
    const echo = async () => {
      const c = await h.dial();
      c.write('x');
      await once(c, 'data'); // the relay runs (spliced: handed off to the addon)
      return c;
    };
    const clients = [await echo()]; // warm up: lazily opened fds (epoll, pooled pipes) are not per relay
    const fds = () => readdirSync('/proc/self/fd').length;
    const before = fds();
    for (let i = 0; i < 20; i++) clients.push(await echo());
    // Per connection, in this process: the client, the relay's two sockets, the server's. The
    // addon's duplicates replace Node's fds, which close on the next turn of the loop.
    await expect.poll(() => fds() - before, { timeout: 10_000, interval: 20 }).toBe(20 * 4);
    expect(h.modes.every((m) => m === expected)).toBe(true);
    for (const c of clients) c.destroy();
  });

  it('closes the client side when the server resets mid-transfer', async () => {
    const h = await relayTo((s) => {
      s.once('data', () => s.resetAndDestroy());
    });
    const c = await h.dial();
    // A reset is passed on as a reset: a clean end would tell the client all was sent.
    let ended = false;
    c.on('end', () => {
      ended = true;
    });
    const chunk = Buffer.alloc(256 * 1024, 9);
    const pump = () => {
      while (!c.destroyed && c.write(chunk));
    };
    c.on('drain', pump);
    pump();
    await h.relayDone(0);
    await closed(c);
    expect(c.destroyed).toBe(true);
    expect(ended).toBe(false);
  });
});
