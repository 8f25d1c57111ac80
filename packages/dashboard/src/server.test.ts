/** The dashboard server on a real loopback socket: read-only, Host checked, one shared poll for every tab. */
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { DashboardServer, isLoopbackHost } from './server.js';
import type { Upstream } from './upstream.js';

/** An upstream that counts its calls and answers a numbered snapshot. */
function countingUpstream() {
  const calls: string[] = [];
  const upstream: Upstream = {
    description: 'test',
    get: async (path) => {
      calls.push(path);
      return { sequence: calls.length, path };
    },
  };
  return { calls, upstream };
}

function get(
  port: number,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens an event stream; resolves the first `n` snapshot events' data, then closes it. */
function events(port: number, n: number): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const seen: unknown[] = [];
    const req = request({ host: '127.0.0.1', port, path: '/api/events' }, (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        buf += c;
        for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (block.includes('event: snapshot') && data !== undefined) seen.push(JSON.parse(data));
          if (seen.length === n) {
            req.destroy();
            resolve(seen);
          }
        }
      });
    });
    req.on('error', (err) => (seen.length === n ? undefined : reject(err)));
    req.end();
  });
}

let server: DashboardServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(upstream: Upstream, intervalMs = 50) {
  server = new DashboardServer({ host: '127.0.0.1', port: 0, upstream, mode: 'local', intervalMs });
  return server.listen();
}

describe('DashboardServer', () => {
  it('is read-only and answers only loopback or its own Host names', async () => {
    const port = await start(countingUpstream().upstream);
    expect((await get(port, '/api/info', {}, 'POST')).status).toBe(405);
    expect((await get(port, '/api/info', {}, 'DELETE')).status).toBe(405);
    expect((await get(port, '/api/info', { host: 'evil.example:7070' })).status).toBe(421);
    const info = await get(port, '/api/info', { host: `localhost:${port}` });
    expect(info.status).toBe(200);
    expect(JSON.parse(info.body)).toMatchObject({ mode: 'local', jaegerUrl: null, intervalMs: 50 });
    expect(info.headers['content-security-policy']).toContain("default-src 'none'");
    expect((await get(port, '/../../etc/passwd')).status).toBe(404);
  });

  it('serves the built page and its assets from the package', async () => {
    const port = await start(countingUpstream().upstream);
    const page = await get(port, '/');
    expect(page.status).toBe(200);
    expect(page.body).toContain('<script defer src="/app.js"></script>');
    const js = await get(port, '/app.js');
    expect(js.headers['content-type']).toMatch(/javascript/);
    // No absolute URL to another host anywhere in the bundle's loads (fetch/EventSource are relative).
    expect(js.body).not.toMatch(/fetch\(\s*["'`]https?:/);
  });

  it('polls the control plane once for every open tab together', async () => {
    const calls: string[] = [];
    let answer: (v: unknown) => void = () => {};
    const upstream: Upstream = {
      description: 'gated',
      get: (path) => {
        calls.push(path);
        return new Promise((resolve) => {
          answer = resolve;
        });
      },
    };
    // A long interval: only the first poll happens during the test.
    const port = await start(upstream, 60_000);
    const tabs = Array.from({ length: 8 }, () => events(port, 1));
    while (server?.clientCount() !== 8) await new Promise((r) => setTimeout(r, 20));
    expect(calls).toEqual(['/dashboard/v1/snapshot']);
    answer({ sequence: 1 });
    const seen = await Promise.all(tabs);
    expect(seen.flat()).toEqual(Array.from({ length: 8 }, () => ({ sequence: 1 })));
    expect(calls).toHaveLength(1);
  });

  it('stops polling when the last tab closes', async () => {
    const { calls, upstream } = countingUpstream();
    const port = await start(upstream, 20);
    await events(port, 2);
    // Wait for the poll loop to notice: a poll in flight finishes, then none is scheduled.
    const settled = async () => {
      let before = -1;
      while (before !== calls.length) {
        before = calls.length;
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    await settled();
    const after = calls.length;
    await new Promise((r) => setTimeout(r, 200));
    expect(calls.length).toBe(after);
  });

  it('passes proxy-config ids encoded, and reports an unreachable control plane as 502', async () => {
    const { calls, upstream } = countingUpstream();
    const port = await start(upstream);
    await get(port, '/api/proxy-config?id=a%26b%3Dc');
    expect(calls).toEqual(['/dashboard/v1/proxy-config?id=a%26b%3Dc']);
    const down = await start2({
      description: 'down',
      get: () => Promise.reject(new Error('connect ECONNREFUSED')),
    });
    const res = await get(down, '/api/snapshot');
    expect(res.status).toBe(502);
    expect(res.body).toContain('ECONNREFUSED');
  });

  it('takes only loopback literals and localhost as loopback (no 127.0.0.1.example names)', () => {
    expect(isLoopbackHost('127.0.0.1')).toBe(true);
    expect(isLoopbackHost('[::1]')).toBe(true);
    expect(isLoopbackHost('localhost')).toBe(true);
    expect(isLoopbackHost('10.0.0.1')).toBe(false);
    expect(isLoopbackHost('127.0.0.1.nip.io')).toBe(false);
    expect(isLoopbackHost('127.evil.example')).toBe(false);
  });
});

let second: DashboardServer | undefined;
afterEach(async () => {
  await second?.close();
  second = undefined;
});
async function start2(upstream: Upstream) {
  second = new DashboardServer({ host: '127.0.0.1', port: 0, upstream, mode: 'local' });
  return second.listen();
}
