import { afterEach, describe, expect, it } from 'vitest';
import { type AdminRoute, AdminServer, isLoopbackAddress, sendAdmin } from './admin-server.js';

describe('isLoopbackAddress', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.255.0.9', true],
    ['127.10.0.1', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['10.0.0.1', false],
    ['128.0.0.1', false],
    ['::ffff:10.0.0.1', false],
    ['::2', false],
    ['0.0.0.0', false],
    ['localhost', false],
    ['', false],
    [undefined, false],
  ])('%s -> %s', (address, loopback) => {
    expect(isLoopbackAddress(address)).toBe(loopback);
  });
});

describe('AdminServer', () => {
  const servers: AdminServer[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
  });

  async function start(options: ConstructorParameters<typeof AdminServer>[0]): Promise<string> {
    const server = new AdminServer(options);
    servers.push(server);
    return `http://127.0.0.1:${await server.listen('127.0.0.1', 0)}`;
  }

  const hello: AdminRoute = { path: '/hello', handle: (_req, res) => sendAdmin(res, 200, 'hi\n') };

  it('routes by exact path, ignoring the query; 404 names the surface', async () => {
    const base = await start({ routes: [hello], notFound: 'try /hello\n' });
    const ok = await fetch(`${base}/hello?x=1`);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('cache-control')).toBe('no-store');
    expect(await ok.text()).toBe('hi\n');
    const missing = await fetch(`${base}//hello`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toBe('try /hello\n');
  });

  it('checks server-wide methods before routes and route methods after the loopback rule', async () => {
    const post: AdminRoute = {
      path: '/post',
      loopbackOnly: true,
      methods: ['POST'],
      handle: (_req, res) => sendAdmin(res, 202, 'ok\n'),
    };
    const base = await start({ routes: [hello, post] });
    const get = await fetch(`${base}/post`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect((await fetch(`${base}/post`, { method: 'POST' })).status).toBe(202);

    const strict = await start({ routes: [hello], methods: ['GET', 'HEAD'] });
    const refused = await fetch(`${strict}/nothing-here`, { method: 'DELETE' });
    expect(refused.status).toBe(405);
    expect(refused.headers.get('allow')).toBe('GET, HEAD');
  });

  it('asks the fallback for unknown paths and turns a failing handler into a 500', async () => {
    const failing: AdminRoute = {
      path: '/fail',
      handle: async () => {
        throw new Error('boom');
      },
    };
    const base = await start({
      routes: [failing],
      fallback: (_req, res, path) => {
        if (path !== '/extra') return false;
        sendAdmin(res, 200, 'extra\n');
        return true;
      },
    });
    expect(await (await fetch(`${base}/extra`)).text()).toBe('extra\n');
    expect((await fetch(`${base}/other`)).status).toBe(404);
    expect((await fetch(`${base}/fail`)).status).toBe(500);
    expect((await fetch(`${base}/extra`)).status).toBe(200);
  });

  it('refuses a route declared twice', () => {
    expect(() => new AdminServer({ routes: [hello, hello] })).toThrow('/hello is declared twice');
  });
});
