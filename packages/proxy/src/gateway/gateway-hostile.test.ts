/**
 * Hostile clients against a real gateway: malformed and oversized requests, slow heads, non-TLS
 * bytes and stalled handshakes on an HTTPS port, HTTP/2 rapid resets and oversized header
 * lists. Each gets its error (400, 431, 408, a closed connection, GOAWAY) and a metric; the
 * gateway keeps serving everyone else.
 */
import http2 from 'node:http2';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCa } from './test-certificates.js';
import {
  type EchoApp,
  metricValue,
  request,
  startEchoApp,
  startTestGateway,
  type TestGateway,
} from './test-harness.js';

let web: EchoApp;
let gw: TestGateway;

beforeAll(async () => {
  web = await startEchoApp('web');
  const cert = createTestCa().issue(['secure.example']);
  const routes = [{ name: 'HTTPRoute/test/web/0', backends: [{ authority: web.authority, weight: 1 }] }];
  gw = await startTestGateway(
    {
      listeners: [
        { name: 'test/gw/http', port: 80, protocol: 'GATEWAY_LISTENER_PROTOCOL_HTTP', routes },
        {
          name: 'test/gw/https',
          port: 443,
          protocol: 'GATEWAY_LISTENER_PROTOCOL_HTTPS',
          certificates: [
            { name: 'test/tls', certificateChainPem: cert.chainPem, privateKeyPem: cert.keyPem },
          ],
          routes,
        },
      ],
    },
    { handshakeTimeoutMs: 300, headersTimeoutMs: 300 },
  );
}, 30_000);

afterAll(async () => {
  await gw?.stop();
  await web?.close();
});

/** Sends `bytes` on a new connection; resolves with everything the gateway sent before closing. */
function raw(port: number, bytes: Buffer | string, end = false): Promise<string> {
  return new Promise((resolve) => {
    const s: Socket = connect(port, '127.0.0.1');
    let got = '';
    s.on('data', (d) => {
      got += d.toString('latin1');
    });
    s.on('error', () => {});
    s.on('close', () => resolve(got));
    s.write(bytes);
    if (end) s.end();
  });
}

async function stillServes(): Promise<void> {
  expect((await request(gw.port(80), { headers: { host: 'ok.test' } })).status).toBe(200);
}

describe('hostile clients', () => {
  it('answers malformed request heads with 400 and closes', async () => {
    for (const bad of [
      'GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n',
      'GET /\x7f HTTP/1.1\r\nHost: a\r\n\r\n',
      'GET / HTTP/1.1\r\nHo st: a\r\n\r\n',
    ]) {
      expect(await raw(gw.port(80), bad)).toMatch(/^HTTP\/1\.1 400 /);
    }
    await stillServes();
  });

  it('answers oversized heads with 431', async () => {
    const huge = `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'a'.repeat(200_000)}\r\n\r\n`;
    expect(await raw(gw.port(80), huge)).toMatch(/^HTTP\/1\.1 431 /);
    const many = `GET / HTTP/1.1\r\nHost: a\r\n${Array.from({ length: 500 }, (_, i) => `X-H${i}: v\r\n`).join('')}\r\n`;
    expect(await raw(gw.port(80), many)).toMatch(/^HTTP\/1\.1 431 /);
    await stillServes();
  });

  it('closes a slow head with 408, and bytes that are not HTTP without a word', async () => {
    expect(await raw(gw.port(80), 'GET / HTTP/1.1\r\nHost: a\r\n')).toMatch(/^HTTP\/1\.1 408 /);
    expect(await raw(gw.port(80), Buffer.from([0, 1, 2, 3, 0xff, 0xfe]))).toBe('');
    await stillServes();
  });

  it('counts TLS handshakes that fail or stall, and keeps serving', async () => {
    expect(await raw(gw.port(443), 'GET / HTTP/1.1\r\nHost: a\r\n\r\n')).toBe('');
    // Connects and sends nothing: closed at the handshake timeout.
    expect(await raw(gw.port(443), '')).toBe('');
    const m = await gw.metrics();
    expect(
      metricValue(m, 'weft_gateway_tls_handshake_failures_total', { reason: 'timeout' }),
    ).toBeGreaterThanOrEqual(1);
    expect(metricValue(m, 'weft_gateway_tls_handshake_failures_total')).toBeGreaterThanOrEqual(2);
    await stillServes();
  });

  it('cuts off an HTTP/2 rapid-reset flood and refuses oversized header lists', async () => {
    const flood = http2.connect(`http://127.0.0.1:${gw.port(80)}`);
    flood.on('error', () => {});
    const gone = new Promise<void>((resolve) => flood.once('close', () => resolve()));
    for (let i = 0; i < 5000 && !flood.destroyed && !flood.closed; i++) {
      try {
        const s = flood.request({ ':path': `/r${i}`, ':authority': 'a' });
        s.on('error', () => {});
        s.close(http2.constants.NGHTTP2_CANCEL);
      } catch {
        break;
      }
      if (i % 100 === 99) await new Promise((r) => setImmediate(r));
    }
    await gone;
    const big = http2.connect(`http://127.0.0.1:${gw.port(80)}`);
    big.on('error', () => {});
    const status = await new Promise<string>((resolve) => {
      const s = big.request({ ':path': '/', ':authority': 'a', 'x-big': 'b'.repeat(200_000) });
      s.on('response', (h) => resolve(String(h[':status'])));
      s.on('error', (e) => resolve(`error ${(e as Error).message}`));
      s.on('close', () => resolve(`closed ${s.rstCode}`));
      s.end();
    });
    expect(status).not.toBe('200');
    big.destroy();
    const m = await gw.metrics();
    expect(
      metricValue(m, 'weft_proxy_h2_sessions_rejected_total', { reason: 'rapid-reset' }),
    ).toBeGreaterThanOrEqual(1);
    await stillServes();
    const h2 = http2.connect(`http://127.0.0.1:${gw.port(80)}`);
    const ok = await new Promise<number>((resolve, reject) => {
      const s = h2.request({ ':path': '/after', ':authority': 'a' });
      s.on('response', (h) => resolve(Number(h[':status'])));
      s.on('error', reject);
      s.resume();
      s.end();
    });
    h2.close();
    expect(ok).toBe(200);
  }, 30_000);
});
