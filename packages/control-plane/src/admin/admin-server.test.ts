import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminServer, CONTROL_PLANE_VERSION } from './admin-server.js';

let server: AdminServer;
let base: string;
let ready = false;

beforeAll(async () => {
  server = new AdminServer({
    host: '127.0.0.1',
    port: 0,
    registry: new Registry(),
    ready: () => [{ name: 'source folder', ok: ready, ...(ready ? {} : { detail: 'initial sync pending' }) }],
    debugState: () => ({ version: 7 }),
  });
  base = `http://127.0.0.1:${await server.listen()}`;
});

afterAll(() => server.close());

describe('AdminServer', () => {
  it('answers /healthz always and /readyz by the checks', async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const notReady = await fetch(`${base}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.text()).toContain('[-] source folder: initial sync pending');
    ready = true;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  });

  it('serves /debug/state to loopback clients and 404/405 otherwise', async () => {
    expect(await (await fetch(`${base}/debug/state`)).json()).toEqual({ version: 7 });
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect((await fetch(`${base}/healthz`, { method: 'POST' })).status).toBe(405);
  });

  it('serves its version (the package version) at /version', async () => {
    expect(CONTROL_PLANE_VERSION).toMatch(/^\d+\.\d+\.\d+/);
    expect(await (await fetch(`${base}/version`)).json()).toEqual({ version: CONTROL_PLANE_VERSION });
  });
});
