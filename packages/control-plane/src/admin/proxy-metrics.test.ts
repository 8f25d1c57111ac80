import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { coalescedGather, type GatheredProxy, gatherProxyMetrics } from './proxy-metrics.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

async function proxyAdmin(status: number, body: string): Promise<{ port: number; hits: () => number }> {
  let hits = 0;
  const server = createServer((req, res) => {
    hits++;
    res.writeHead(req.url === '/metrics' ? status : 404).end(body);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port: (server.address() as AddressInfo).port, hits: () => hits };
}

const at = (port: number, workload: string) => ({
  namespace: 'shop',
  workload,
  service: 'api',
  address: '127.0.0.1',
  adminPort: port,
});

describe('gatherProxyMetrics', () => {
  it("returns each proxy's metrics, or why it could not be read, in order", async () => {
    const ok = await proxyAdmin(200, 'up 1\n');
    const broken = await proxyAdmin(500, 'oops');
    const closed = await proxyAdmin(200, '');
    await closers.pop()?.();
    const { proxies } = await gatherProxyMetrics(
      [at(ok.port, 'api-1'), at(broken.port, 'api-2'), at(closed.port, 'api-3')],
      { concurrency: 2, timeoutMs: 2000 },
    );
    expect(proxies.map((p) => [p.workload, p.metrics, p.error])).toEqual([
      ['api-1', 'up 1\n', undefined],
      ['api-2', undefined, 'HTTP 500'],
      ['api-3', undefined, expect.stringMatching(/ECONNREFUSED/)],
    ]);
    expect(proxies.every((p) => p.at > 0)).toBe(true);
  });

  it('coalesces concurrent and recent gathers into one scrape', async () => {
    const admin = await proxyAdmin(200, 'up 1\n');
    let clock = 0;
    const gather = coalescedGather(() => gatherProxyMetrics([at(admin.port, 'api-1')]), {
      reuseMs: 1000,
      now: () => clock,
    });
    const [a, b] = await Promise.all([gather(), gather()]);
    expect(a).toBe(b);
    expect(admin.hits()).toBe(1);
    clock = 500;
    expect(await gather()).toBe(a);
    expect(admin.hits()).toBe(1);
    clock = 1600;
    const fresh: { proxies: GatheredProxy[] } = await gather();
    expect(fresh).not.toBe(a);
    expect(admin.hits()).toBe(2);
  });
});
