/** weft.2 sessions over real mTLS on loopback: multiplexing, flow control, half-close and GOAWAY. */
import { once } from 'node:events';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TlsPairs, tlsPairs } from '../../testing/weft2-pair.js';
import type { Preamble } from '../net/preamble.js';
import { MAX_FRAME_PAYLOAD } from './frame.js';
import { MAX_RESETS_PER_SECOND, STREAM_WINDOW, Weft2Session } from './weft2-session.js';
import type { Weft2Stream } from './weft2-stream.js';

let pairs: TlsPairs;
beforeAll(async () => {
  pairs = await tlsPairs();
});
afterAll(() => pairs.close());

const HTTP1: Preamble = { protocol: 'http1', port: 80 };

/** A client and a server session on one new connection; server streams arrive in `accepted`. */
async function sessions() {
  const { client, server } = await pairs.pair();
  const accepted: Weft2Stream[] = [];
  const waiting: ((s: Weft2Stream) => void)[] = [];
  const s = new Weft2Session(server, {
    role: 'server',
    metrics: pairs.metrics,
    idleMs: 60_000,
    onStream: (stream) => {
      const w = waiting.shift();
      if (w === undefined) accepted.push(stream);
      else w(stream);
    },
  });
  const c = new Weft2Session(client, { role: 'client', metrics: pairs.metrics, idleMs: 60_000 });
  const next = () =>
    new Promise<Weft2Stream>((resolve) => {
      const a = accepted.shift();
      if (a === undefined) waiting.push(resolve);
      else resolve(a);
    });
  return { client: c, server: s, next, sockets: { client, server } };
}

function collect(stream: Weft2Stream): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (d: Buffer) => chunks.push(d));
    stream.on('end', () => resolve(Buffer.concat(chunks).toString()));
    stream.on('error', reject);
  });
}

/** Resolves once `cond()` holds, checking after each turn of the event loop. */
async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setImmediate(r));
}

describe('weft.2 sessions', () => {
  it('carries many concurrent streams on one connection, each with its own bytes', async () => {
    const { client, server, next } = await sessions();
    const n = 100;
    const replies: Promise<string>[] = [];
    for (let i = 0; i < n; i++) {
      const stream = client.open(HTTP1)!;
      replies.push(collect(stream));
      stream.end(`request-${i}`);
    }
    const echoes: Promise<void>[] = [];
    for (let i = 0; i < n; i++) {
      const stream = await next();
      echoes.push(collect(stream).then((body) => void stream.end(body.toUpperCase())));
    }
    await Promise.all(echoes);
    expect(await Promise.all(replies)).toEqual([...Array(n).keys()].map((i) => `REQUEST-${i}`));
    await until(() => client.streamCount === 0 && server.streamCount === 0);
  });

  it('writes every frame queued in one event-loop turn with one TLS write', async () => {
    const { client, next, sockets } = await sessions();
    const writes: number[] = [];
    const write = sockets.client.write.bind(sockets.client);
    sockets.client.write = ((chunk: Buffer, ...rest: never[]) => {
      writes.push(chunk.length);
      return write(chunk, ...rest);
    }) as typeof sockets.client.write;
    const streams = Array.from({ length: 50 }, () => client.open(HTTP1)!);
    for (const [i, stream] of streams.entries()) {
      stream.write(`head-${i} `);
      stream.end(`body-${i}`);
    }
    const bodies = await Promise.all(streams.map(() => next().then(collect)));
    expect(bodies.sort()).toEqual(streams.map((_, i) => `head-${i} body-${i}`).sort());
    // 50 OPENs, 100 DATA frames and 50 ENDs: one write.
    expect(writes).toHaveLength(1);
  });

  it('closing streams the peer has finished is not a reset, however many a second', async () => {
    const { client, next } = await sessions();
    const before = pairs.errors('rapid-reset');
    for (let i = 0; i < MAX_RESETS_PER_SECOND + 50; i++) {
      const stream = client.open(HTTP1)!;
      stream.write('GET');
      const peer = await next();
      const reply = collect(stream);
      peer.end('bye'); // as after `Connection: close`
      expect(await reply).toBe('bye');
      stream.destroy();
    }
    await until(() => client.streamCount === 0);
    expect(client.available).toBe(true);
    expect(pairs.errors('rapid-reset')).toBe(before);
  });

  it('half-close: END ends one direction only', async () => {
    const { client, next } = await sessions();
    const stream = client.open(HTTP1)!;
    stream.end('ping');
    const peer = await next();
    expect(await collect(peer)).toBe('ping');
    // The client has finished sending; the server still answers on the same stream.
    expect(peer.writable).toBe(true);
    const reply = collect(stream);
    peer.write('po');
    peer.end('ng');
    expect(await reply).toBe('pong');
    await until(() => client.streamCount === 0);
  });

  it('bounds what a peer that never reads makes the sender hold: one window', async () => {
    const { client, next } = await sessions();
    const stream = client.open(HTTP1)!;
    const total = 1024 * 1024;
    const payload = Buffer.alloc(total, 7);
    let writable = true;
    for (let at = 0; at < total; at += 16 * 1024)
      writable = stream.write(payload.subarray(at, at + 16 * 1024));
    expect(writable).toBe(false);
    const peer = await next();
    peer.pause();
    await until(() => peer.readableLength === STREAM_WINDOW);
    // A round trip on another stream of the same connection: anything sent before it has arrived.
    const probe = client.open(HTTP1)!;
    const probeReply = collect(probe);
    probe.end('probe');
    const probePeer = await next();
    probePeer.end(await collect(probePeer));
    expect(await probeReply).toBe('probe');
    expect(peer.readableLength).toBe(STREAM_WINDOW);
    expect(stream.writableLength).toBe(total - STREAM_WINDOW);
    // The reader catches up: everything arrives, in order.
    const got = collect(peer);
    peer.resume();
    stream.end();
    const body = await got;
    expect(body.length).toBe(total);
    expect(Buffer.from(body).equals(payload)).toBe(true);
  });

  it('GOAWAY refuses new streams, lets in-flight ones finish, then closes', async () => {
    const { client, server, next, sockets } = await sessions();
    const inFlight = client.open(HTTP1)!;
    inFlight.write('first half ');
    const peer = await next();
    const got = collect(peer);
    server.goAway();
    // Opened before the GOAWAY reached the client: above the last id, so refused.
    const late = client.open(HTTP1)!;
    // (events.once would reject on the stream's 'error'; the guard in the session handles that.)
    const lateClosed = new Promise((resolve) => late.on('close', resolve));
    await until(() => !client.available);
    expect(client.open(HTTP1)).toBeUndefined();
    await lateClosed;
    expect(late.errored).not.toBeNull();
    // The in-flight stream carries on both ways.
    const reply = collect(inFlight);
    inFlight.end('second half');
    expect(await got).toBe('first half second half');
    peer.end('done');
    expect(await reply).toBe('done');
    await Promise.all([once(sockets.client, 'close'), once(sockets.server, 'close')]);
  });
});

describe('weft.2 protocol errors', () => {
  /** A server session fed raw bytes by a bare TLS client; resolves with the closed server socket. */
  async function serverFed(...frames: Buffer[]): Promise<TLSSocket> {
    const { client, server } = await pairs.pair();
    new Weft2Session(server, { role: 'server', metrics: pairs.metrics, idleMs: 60_000 });
    const closed = once(server, 'close');
    client.write(Buffer.concat(frames));
    await closed;
    return server;
  }

  const frame = (type: number, stream: number, payload: Buffer = Buffer.alloc(0)) => {
    const h = Buffer.alloc(9);
    h[0] = type;
    h.writeUInt32BE(stream, 2);
    h.writeUIntBE(payload.length, 6, 3);
    return Buffer.concat([h, payload]);
  };
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  const OPEN = Buffer.from('WFT\x01\x01\x00\x00\x50', 'latin1');

  const cases: [string, Buffer[]][] = [
    ['unknown-type', [frame(9, 1)]],
    ['frame-too-large', [frame(1, 1, Buffer.alloc(64 * 1024 + 1))]],
    ['bad-stream-id', [frame(1, 5, Buffer.from('x'))]],
    ['bad-stream-id', [frame(0, 1, OPEN), frame(0, 1, OPEN)]],
    ['bad-open', [frame(0, 1, Buffer.from('GET / HT'))]],
    [
      'window-violation',
      [
        frame(0, 1, OPEN),
        ...Array.from({ length: STREAM_WINDOW / MAX_FRAME_PAYLOAD }, () =>
          frame(1, 1, Buffer.alloc(MAX_FRAME_PAYLOAD)),
        ),
        frame(1, 1, Buffer.from('!')),
      ],
    ],
    ['data-after-end', [frame(0, 1, OPEN), frame(2, 1), frame(1, 1, Buffer.from('late'))]],
    ['bad-window', [frame(0, 1, OPEN), frame(4, 1, u32(0))]],
    ['too-many-streams', Array.from({ length: 129 }, (_, i) => frame(0, 2 * i + 1, OPEN))],
    [
      'rapid-reset',
      Array.from({ length: MAX_RESETS_PER_SECOND + 1 }, (_, i) => [
        frame(0, 2 * i + 1, OPEN),
        frame(3, 2 * i + 1, u32(0)),
      ]).flat(),
    ],
  ];

  it('closes only the offending connection and counts each violation by reason', async () => {
    // A healthy connection opened before, and used after, every bad one.
    const healthy = await sessions();
    for (const [reason, frames] of cases) {
      const before = pairs.errors(reason);
      const socket = await serverFed(...frames);
      expect(socket.destroyed).toBe(true);
      expect(pairs.errors(reason), reason).toBe(before + 1);
    }
    const stream = healthy.client.open(HTTP1)!;
    const reply = collect(stream);
    stream.end('still here');
    const peer = await healthy.next();
    peer.end(await collect(peer));
    expect(await reply).toBe('still here');
  });

  it('a server that opens a stream is a violation the client counts', async () => {
    const { client, server } = await pairs.pair();
    new Weft2Session(client, { role: 'client', metrics: pairs.metrics, idleMs: 60_000 });
    const before = pairs.errors('unexpected-open');
    const closed = once(client, 'close');
    server.write(frame(0, 2, OPEN));
    await closed;
    expect(pairs.errors('unexpected-open')).toBe(before + 1);
  });
});
