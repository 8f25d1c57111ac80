/** A protocol upgrade (WebSocket-style) through the gateway: forwarded once, then bytes relayed both ways. */
import { once } from 'node:events';
import http from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from './test-harness.js';

let app: http.Server;
let gw: TestGateway;
let seenPath = '';

beforeAll(async () => {
  app = http.createServer((_req, res) => res.end('plain'));
  app.on('upgrade', (req, socket) => {
    seenPath = req.url ?? '';
    socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n');
    socket.on('data', (d: Buffer) => socket.write(Buffer.concat([Buffer.from('echo:'), d])));
  });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  gw = await startTestGateway({
    listeners: [
      {
        name: 'test/gw/http',
        port: 80,
        protocol: 'GATEWAY_LISTENER_PROTOCOL_HTTP',
        routes: [
          {
            name: 'HTTPRoute/test/ws/0',
            matches: [{ path: { prefix: '/ws' } }],
            filters: [{ urlRewrite: { path: { replacePrefixMatch: '/socket' } } }],
            backends: [{ authority: `127.0.0.1:${(app.address() as AddressInfo).port}`, weight: 1 }],
          },
        ],
      },
    ],
  });
}, 30_000);

afterAll(async () => {
  await gw?.stop();
  app?.closeAllConnections();
  app?.close();
});

describe('upgrades through the gateway', () => {
  it('switches protocols with the rewritten path and relays bytes both ways', async () => {
    const s = connect(gw.port(80), '127.0.0.1');
    await once(s, 'connect');
    s.write('GET /ws/chat HTTP/1.1\r\nHost: chat.test\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n');
    let got = '';
    s.on('data', (d: Buffer) => {
      got += d.toString();
    });
    await expect.poll(() => got).toMatch(/^HTTP\/1\.1 101 /);
    s.write('hello');
    await expect.poll(() => got).toContain('echo:hello');
    expect(seenPath).toBe('/socket/chat');
    s.destroy();
  });
});
