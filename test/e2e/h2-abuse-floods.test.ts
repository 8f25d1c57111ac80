/**
 * HTTP/2 abuse from a client, against a `weft proxy` process on both sides: its inbound port
 * (plaintext h2c, permissive mode: no identity needed) and its client-side upstream listener.
 * Rapid reset (CVE-2023-44487), SETTINGS/PING/PRIORITY/CONTINUATION floods, HPACK bombs and a
 * stream window held at zero, each written as raw frames. Every case asserts the process is
 * alive and still serves, that its RSS stays under idle + 64 MiB, and what was counted or sent.
 */
import { constants } from 'node:http2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Flag,
  FrameType,
  frame,
  indexed,
  literal,
  literalIndexed,
  ping,
  priority,
  type RawPeer,
  rawConnect,
  requestBlock,
  rstStream,
  settings,
  tableSizeUpdate,
} from './h2-abuse/frames.js';
import { get, type Sidecar, startApp, startSidecar, until } from './h2-abuse/harness.js';

const MIB = 1024 * 1024;
/** The memory bound every case asserts: RSS at most this much above the idle proxy's. */
const RSS_HEADROOM = 64 * MIB;

let app: Awaited<ReturnType<typeof startApp>>;
let proxy: Sidecar;
let idleRss = 0;

beforeAll(async () => {
  app = await startApp();
  proxy = await startSidecar(app.port);
  idleRss = await proxy.rss();
});
afterAll(async () => {
  await proxy?.stop();
  await app?.close();
});

/** Alive, still serving on `port`, and RSS within the bound. */
async function healthy(port: number): Promise<void> {
  expect(proxy.alive()).toBe(true);
  expect((await get(port, '/ok')).status).toBe(200);
  expect(await proxy.rss()).toBeLessThan(idleRss + RSS_HEADROOM);
}

/** Writes `make(i)` for i < n (bounded), stopping when the proxy sends GOAWAY or closes the connection. */
async function flood(peer: RawPeer, n: number, make: (i: number) => Buffer): Promise<number> {
  let sent = 0;
  const batch = 64;
  while (sent < n && peer.goaway === undefined) {
    const chunk = Buffer.concat(Array.from({ length: Math.min(batch, n - sent) }, (_, k) => make(sent + k)));
    if (!(await peer.write(chunk))) break;
    sent += batch;
  }
  return sent;
}

describe.each(['inbound', 'outbound'] as const)('HTTP/2 abuse on the %s side', (side) => {
  const port = () => (side === 'inbound' ? proxy.inbound : proxy.outbound);
  const errors = () =>
    proxy.metric('weft_proxy_h2_session_errors_total', { side: 'client', direction: side });

  it('rapid reset: 5,000 streams opened and reset at once are cut off by GOAWAY, the connection counted', async () => {
    const path = `/rapid-reset-${side}`;
    const before = await proxy.metric('weft_proxy_h2_sessions_rejected_total', { direction: side });
    const peer = await rawConnect(port());
    const block = requestBlock(path, 'POST');
    await flood(peer, 5000, (i) =>
      Buffer.concat([frame(FrameType.HEADERS, Flag.END_HEADERS, 2 * i + 1, block), rstStream(2 * i + 1, 8)]),
    );
    await peer.closed;
    // The proxy's budget trips at 201 resets and sends ENHANCE_YOUR_CALM; nghttp2's own limiter
    // (burst 1,000, INTERNAL_ERROR) may still get its GOAWAY out first when both trip while one
    // read of frames is processed. Either way the budget counted the connection.
    expect([constants.NGHTTP2_ENHANCE_YOUR_CALM, constants.NGHTTP2_INTERNAL_ERROR]).toContain(peer.goaway);
    expect(
      await proxy.metric('weft_proxy_h2_sessions_rejected_total', { direction: side, reason: 'rapid-reset' }),
    ).toBe(before + 1);
    expect(
      await proxy.metric('weft_proxy_h2_stream_resets_total', {
        side: 'client',
        direction: side,
        code: 'cancel',
      }),
    ).toBeGreaterThan(200);
    // The budget (200 per second) bounds the streams that cost the app anything.
    expect(app.stats.arrived.get(path) ?? 0).toBeLessThan(1000);
    await healthy(port());
  });

  it('SETTINGS flood whose ACKs are never read closes the connection, counted', async () => {
    const before = await errors();
    const peer = await rawConnect(port());
    peer.socket.pause();
    await flood(peer, 400_000, () => settings([[3, 100]]));
    peer.socket.destroy();
    await until('a session error', async () => (await errors()) > before);
    await healthy(port());
  });

  it('a SETTINGS frame with more entries than --h2-max-settings is answered with GOAWAY', async () => {
    const peer = await rawConnect(port());
    await peer.write(settings(Array.from({ length: 100 }, (): [number, number] => [3, 100])));
    await until('a GOAWAY', () => peer.goaway !== undefined);
    peer.socket.destroy();
    // The proxy's budget trips at 201 resets and sends ENHANCE_YOUR_CALM; nghttp2's own limiter
    // (burst 1,000, INTERNAL_ERROR) may still get its GOAWAY out first when both trip while one
    // read of frames is processed. Either way the budget counted the connection.
    expect([constants.NGHTTP2_ENHANCE_YOUR_CALM, constants.NGHTTP2_INTERNAL_ERROR]).toContain(peer.goaway);
    await healthy(port());
  });

  it('PING flood whose ACKs are never read closes the connection, counted', async () => {
    const before = await errors();
    const peer = await rawConnect(port());
    peer.socket.pause();
    await flood(peer, 400_000, (i) => ping(i));
    peer.socket.destroy();
    await until('a session error', async () => (await errors()) > before);
    await healthy(port());
  });

  it('PRIORITY flood is absorbed: the same connection still serves, nothing is counted as an error', async () => {
    const before = await errors();
    const peer = await rawConnect(port());
    // Each frame names a different idle stream, the shape that grew priority trees in old servers.
    const sent = await flood(peer, 100_000, (i) => priority(2 * i + 1, 2 * i + 3));
    expect(sent).toBeGreaterThanOrEqual(100_000);
    const id = 2 * 100_000 + 5;
    await peer.write(frame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, id, requestBlock('/ok')));
    await until('the response head', () => peer.heads.has(id));
    // Counted while the flooded connection is still open: closing it abruptly afterwards may
    // itself end the session with an error (a reset), which is not what this case measures.
    expect(await errors()).toBe(before);
    peer.socket.destroy();
    await healthy(port());
  });

  it('CONTINUATION flood (a header block that never ends) closes the connection, counted', async () => {
    const path = `/continuation-${side}`;
    const before = await errors();
    const peer = await rawConnect(port());
    await peer.write(frame(FrameType.HEADERS, 0, 1, requestBlock(path)));
    await flood(peer, 10_000, (i) => frame(FrameType.CONTINUATION, 0, 1, literal(`x-${i}`, 'y')));
    await peer.closed;
    await until('a session error', async () => (await errors()) > before);
    expect(app.stats.arrived.get(path)).toBeUndefined();
    await healthy(port());
  });

  it('HPACK bomb: one 4 KB table entry referenced 16,000 times is refused, the app never sees it', async () => {
    const path = `/hpack-bomb-${side}`;
    const peer = await rawConnect(port());
    const block = Buffer.concat([
      requestBlock(path),
      literalIndexed('x-big', 'a'.repeat(4000)),
      ...Array.from({ length: 16_000 }, () => indexed(62)), // ~64 MB once decoded
    ]);
    await peer.write(frame(FrameType.HEADERS, Flag.END_STREAM, 1, block.subarray(0, 16_000)));
    await peer.write(frame(FrameType.CONTINUATION, Flag.END_HEADERS, 1, block.subarray(16_000)));
    await until('the stream reset', () => peer.resets.has(1));
    expect(peer.resets.get(1)).toBe(constants.NGHTTP2_ENHANCE_YOUR_CALM);
    peer.socket.destroy();
    expect(app.stats.arrived.get(path)).toBeUndefined();
    await healthy(port());
  });

  it('HPACK bomb: 300 streams of 1,000 header fields each are refused, the app never sees them', async () => {
    const path = `/hpack-pairs-${side}`;
    const peer = await rawConnect(port());
    const block = Buffer.concat([
      requestBlock(path),
      ...Array.from({ length: 1000 }, (_, i) => literal(`h${i}`, 'v')),
    ]);
    await flood(peer, 300, (i) =>
      frame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 2 * i + 1, block),
    );
    await until('300 resets or a closed connection', () => peer.resets.size >= 300 || peer.socket.destroyed);
    expect(new Set(peer.resets.values())).toEqual(new Set([constants.NGHTTP2_ENHANCE_YOUR_CALM]));
    peer.socket.destroy();
    expect(app.stats.arrived.get(path)).toBeUndefined();
    await healthy(port());
  });

  it('HPACK table-size abuse (an update above what was allowed) ends in GOAWAY COMPRESSION_ERROR', async () => {
    const path = `/hpack-table-${side}`;
    const peer = await rawConnect(port());
    const block = Buffer.concat([tableSizeUpdate(1 << 30), requestBlock(path)]);
    await peer.write(frame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 1, block));
    await until('a GOAWAY', () => peer.goaway !== undefined);
    peer.socket.destroy();
    expect(peer.goaway).toBe(constants.NGHTTP2_COMPRESSION_ERROR);
    expect(app.stats.arrived.get(path)).toBeUndefined();
    await healthy(port());
  });

  it('a client that never opens its stream windows holds bounded memory; closing it frees the app', async () => {
    const path = `/endless/${side}`;
    const streams = 50;
    const blockedBefore = app.stats.endlessBlocked;
    const peer = await rawConnect(port(), settings([[4, 0]])); // SETTINGS_INITIAL_WINDOW_SIZE = 0
    for (let i = 0; i < streams; i++)
      await peer.write(
        frame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 2 * i + 1, requestBlock(path)),
      );
    // Every app stream ends up blocked by flow control: backpressure reached the app.
    await until('all app streams blocked', () => app.stats.endlessBlocked - blockedBefore >= streams);
    const written = app.stats.endlessWritten;
    expect(await proxy.rss()).toBeLessThan(idleRss + RSS_HEADROOM);
    // At most the windows and buffers in between, not the (endless) bodies: 1 MiB per stream.
    expect(written).toBeLessThan(streams * MIB);
    peer.socket.destroy();
    await until('the app streams closed', () => (app.stats.open.get(path) ?? 0) === 0);
    await healthy(port());
  });
});
