/** Reloads that change ports: ports a config adds are bound, ports it removes stop accepting while the rest serve on. */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EchoApp, request, startEchoApp, startTestGateway, type TestGateway } from './test-harness.js';

let web: EchoApp;
let gw: TestGateway;

const HTTP = 'GATEWAY_LISTENER_PROTOCOL_HTTP';

function config(ports: number[]) {
  return {
    listeners: ports.map((port) => ({
      name: `test/gw/p${port}`,
      port,
      protocol: HTTP,
      routes: [{ name: `HTTPRoute/test/web/${port}`, backends: [{ authority: web.authority, weight: 1 }] }],
    })),
  };
}

beforeAll(async () => {
  web = await startEchoApp('web');
  gw = await startTestGateway(config([80, 8080]));
}, 30_000);

afterAll(async () => {
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
});
