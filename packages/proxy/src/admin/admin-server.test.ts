import { afterEach, describe, expect, it } from 'vitest';
import { adminAddressProblem } from '../options.js';
import { AdminServer, type AdminSource } from './admin-server.js';

describe('adminAddressProblem', () => {
  it('accepts loopback admin with a pod-IP probe listener, or no probe listener', () => {
    expect(adminAddressProblem('127.0.0.1', '10.1.2.3')).toBeUndefined();
    expect(adminAddressProblem('::1', 'fd00::5')).toBeUndefined();
    expect(adminAddressProblem('0.0.0.0', '')).toBeUndefined();
  });

  it.each([
    ['127.0.0.1', '127.0.0.2', 'must not be loopback'],
    ['127.0.0.1', '0.0.0.0', 'not a wildcard'],
    ['127.0.0.1', 'pod.example', 'not an IP address'],
    ['0.0.0.0', '10.1.2.3', 'already covers'],
    ['10.1.2.3', '10.1.2.3', 'already covers'],
  ])('refuses admin %s with probe %s', (admin, probe, problem) => {
    expect(adminAddressProblem(admin, probe)).toContain(problem);
  });
});

describe('AdminServer surfaces (from loopback)', () => {
  const servers: AdminServer[] = [];
  let shutdowns = 0;
  const source: AdminSource = {
    notReadyReason: () => undefined,
    metrics: () => '# TYPE x counter\nx 1\n',
    config: () => ({ version: '7' }),
    shutdown: () => {
      shutdowns++;
    },
  };
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
  });

  async function start(surface: 'full' | 'probes'): Promise<string> {
    const server = new AdminServer(source, surface);
    servers.push(server);
    return `http://127.0.0.1:${await server.listen('127.0.0.1', 0)}`;
  }

  it('full: all five endpoints; /shutdown needs POST', async () => {
    const base = await start('full');
    expect((await fetch(`${base}/live`)).status).toBe(200);
    expect((await fetch(`${base}/ready`)).status).toBe(200);
    expect(await (await fetch(`${base}/metrics`)).text()).toContain('x 1');
    expect(await (await fetch(`${base}/config`)).json()).toEqual({ version: '7' });
    expect((await fetch(`${base}/shutdown`)).status).toBe(405);
    expect((await fetch(`${base}/shutdown`, { method: 'POST' })).status).toBe(202);
    expect(shutdowns).toBe(1);
  });

  it('probes: /live, /ready, /metrics only, even to a loopback peer', async () => {
    const base = await start('probes');
    const before = shutdowns;
    expect((await fetch(`${base}/live`)).status).toBe(200);
    expect((await fetch(`${base}/ready`)).status).toBe(200);
    expect((await fetch(`${base}/metrics`)).status).toBe(200);
    expect((await fetch(`${base}/config`)).status).toBe(404);
    expect((await fetch(`${base}/shutdown`, { method: 'POST' })).status).toBe(404);
    expect(shutdowns).toBe(before);
  });
});
