/**
 * HTTP/2 failures from the other end, against a `weft proxy` process on both sides (the server
 * sidecar's inbound port, and the client sidecar's listener in front of a non-mesh h2 server):
 * the app resets a stream with every RST_STREAM code, before and after its response head; the
 * app's connection goes away mid-body (GOAWAY, then close); a client sends GOAWAY mid-stream.
 * Before the fix any non-CANCEL reset killed the process (ERR_HTTP2_INVALID_STREAM).
 */
import { constants } from 'node:http2';
import { codeName } from '@weft/proxy/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Flag, FrameType, frame, rawConnect, requestBlock } from './h2-abuse/frames.js';
import { get, type Sidecar, startApp, startSidecar, until } from './h2-abuse/harness.js';

/** Every error code RFC 9113 §7 defines. */
const CODES = Array.from({ length: 14 }, (_, code) => code);

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

async function healthy(port: number): Promise<void> {
  expect(proxy.alive()).toBe(true);
  expect((await get(port, '/ok')).status).toBe(200);
  expect(await proxy.rss()).toBeLessThan(idleRss + 64 * 1024 * 1024);
}

describe.each(['inbound', 'outbound'] as const)('upstream and client failures on the %s side', (side) => {
  const port = () => (side === 'inbound' ? proxy.inbound : proxy.outbound);
  const resets = (code: number) =>
    proxy.metric('weft_proxy_h2_stream_resets_total', {
      side: 'upstream',
      direction: side,
      code: codeName(code),
    });

  it('an app that resets a stream before answering, with any code, gets the client a 503', async () => {
    const errorsBefore = await proxy.metric('weft_proxy_request_errors_total', {
      direction: side,
      reason: 'unavailable',
    });
    for (const code of CODES) {
      const before = await resets(code);
      const outcome = await get(port(), `/rst/${code}`);
      expect({ code, status: outcome.status }).toEqual({ code, status: 503 });
      expect(outcome.body).toContain('upstream stream closed before responding');
      // A reset with a code is counted by that code; NO_ERROR before a response is just a close.
      if (code !== constants.NGHTTP2_NO_ERROR) expect(await resets(code)).toBe(before + 1);
    }
    expect(
      await proxy.metric('weft_proxy_request_errors_total', { direction: side, reason: 'unavailable' }),
    ).toBe(errorsBefore + CODES.length);
    await healthy(port());
  });

  it('an app that resets a stream mid-body resets the client stream: a truncated body never ends cleanly', async () => {
    for (const code of CODES) {
      const outcome = await get(port(), `/rst-mid/${code}`);
      // Node's server turns close(NO_ERROR) and close(CANCEL) into END_STREAM then RST(NO_ERROR)
      // on the wire (a whole response): relayed as one. Every other code truncates the body.
      const whole = code === constants.NGHTTP2_NO_ERROR || code === constants.NGHTTP2_CANCEL;
      expect({ code, status: outcome.status, body: outcome.body, rst: outcome.rstCode }).toEqual({
        code,
        status: 200,
        body: 'partial body',
        rst: whole ? constants.NGHTTP2_NO_ERROR : constants.NGHTTP2_INTERNAL_ERROR,
      });
    }
    await healthy(port());
  });

  it('an app whose connection goes away mid-body (GOAWAY, close) resets the client stream; the next request works', async () => {
    const before = await proxy.metric('weft_proxy_h2_session_errors_total', { side: 'upstream' });
    const outcome = await get(port(), '/goaway-mid');
    expect(outcome.status).toBe(200);
    expect(outcome.body).toBe('partial body');
    expect(outcome.rstCode).toBe(constants.NGHTTP2_INTERNAL_ERROR);
    await until(
      'the upstream session counted',
      async () => (await proxy.metric('weft_proxy_h2_session_errors_total', { side: 'upstream' })) > before,
    );
    await healthy(port());
  });

  it('a client that sends GOAWAY mid-stream and leaves: counted, and the app stream is cancelled', async () => {
    const path = `/endless/goaway-${side}`;
    const before = await proxy.metric('weft_proxy_h2_goaway_received_total', {
      side: 'client',
      direction: side,
      code: 'protocol_error',
    });
    const peer = await rawConnect(port());
    await peer.write(frame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 1, requestBlock(path)));
    await until('the app stream open', () => (app.stats.open.get(path) ?? 0) === 1);
    const goaway = Buffer.alloc(8);
    goaway.writeUInt32BE(0, 0); // last stream id: nothing processed
    goaway.writeUInt32BE(constants.NGHTTP2_PROTOCOL_ERROR, 4);
    await peer.write(frame(FrameType.GOAWAY, 0, 0, goaway));
    await until(
      'the GOAWAY counted',
      async () =>
        (await proxy.metric('weft_proxy_h2_goaway_received_total', {
          side: 'client',
          direction: side,
          code: 'protocol_error',
        })) > before,
    );
    peer.socket.end();
    await until('the app stream cancelled', () => (app.stats.open.get(path) ?? 0) === 0);
    await healthy(port());
  });
});
