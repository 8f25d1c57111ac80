/**
 * Reloads that change ports (ports a config adds are bound, ports it removes stop accepting
 * while the rest serve on), and the route's timeout for a backend outside the mesh.
 */
import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
let slow: http.Server;
const held: http.ServerResponse[] = [];

const HTTP = 'GATEWAY_LISTENER_PROTOCOL_HTTP';

function config(ports: number[]) {
  return {
    listeners: ports.map((port) => ({
      name: `test/gw/p${port}`,
      port,
      protocol: HTTP,
      routes: [
        {
          name: `HTTPRoute/test/slow/${port}`,
          matches: [{ path: { prefix: '/slow' } }],
          requestTimeout: '0.2s',
          backends: [{ authority: `127.0.0.1:${(slow.address() as AddressInfo).port}`, weight: 1 }],
        },
        { name: `HTTPRoute/test/web/${port}`, backends: [{ authority: web.authority, weight: 1 }] },
      ],
    })),
  };
}

beforeAll(async () => {
  web = await startEchoApp('web');
  // Answers only when the test is done with it: slower than the route's timeout.
  slow = http.createServer((_req, res) => {
    held.push(res);
  });
  await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
  gw = await startTestGateway(config([80, 8080]));
}, 30_000);

afterAll(async () => {
  for (const res of held) res.end();
  slow?.closeAllConnections();
  slow?.close();
  await gw?.stop();
  await web?.close();
});

describe('gateway reloads', () => {
  it('binds added ports and closes removed ones; the others serve throughout', async () => {
    const old8080 = gw.port(8080);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    expect((await request(old8080, { agent })).status).toBe(200);
    await gw.apply(config([80, 8443]));
    expect((await request(gw.port(8443))).status).toBe(200);
    expect((await request(gw.port(80))).status).toBe(200);
    expect(gw.running.gateway.boundPorts()[8080]).toBeUndefined();
    await expect(request(old8080)).rejects.toThrow(/ECONNREFUSED/);
    // The keep-alive connection opened before is not cut; its port has no listener any more.
    expect((await request(old8080, { agent })).status).toBe(404);
    agent.destroy();
  });

  it("answers 504 when a backend outside the mesh is slower than the route's timeout (HTTP/1.1 and h2)", async () => {
    expect((await request(gw.port(80), { path: '/slow/a' })).status).toBe(504);
    const h2c = http2.connect(`http://127.0.0.1:${gw.port(80)}`);
    const status = await new Promise<number>((resolve, reject) => {
      const s = h2c.request({ ':path': '/slow/b', ':authority': 'x.test' });
      s.on('response', (h) => resolve(Number(h[':status'])));
      s.on('error', reject);
      s.resume();
      s.end();
    });
    h2c.close();
    expect(status).toBe(504);
    const m = await gw.metrics();
    expect(
      metricValue(m, 'weft_gateway_requests_total', { route: 'HTTPRoute/test/slow/80', code: '504' }),
    ).toBe(2);
    // The gateway still serves, on the connection pool the timed-out attempts used too.
    expect((await request(gw.port(80))).status).toBe(200);
  });
});
