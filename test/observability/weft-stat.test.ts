/**
 * `weft stat` (the built binary) over the control plane's gather endpoint, fed with the real
 * /metrics of two sidecars after a known traffic pattern.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { startMeshPair } from '@weft/proxy/testing';
import { afterEach, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../packages/cli/bin/weft.js', import.meta.url));
const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

async function listen(handler: http.RequestListener): Promise<number> {
  const server = http.createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return (server.address() as AddressInfo).port;
}

function get(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      })
      .on('error', reject);
  });
}

async function weft(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const [status] = (await once(child, 'exit')) as [number | null];
  return { status, stdout, stderr };
}

describe('weft stat', () => {
  it('reports per-service success rate, rate and latency gathered from the proxies', async () => {
    const appPort = await listen((req, res) => {
      res.statusCode = req.url === '/fail' ? 500 : 200;
      res.end('ok');
    });
    const pair = await startMeshPair(appPort);
    closers.push(() => pair.close());
    pair.pushDestination();
    for (let i = 0; i < 8; i++) expect(await get(pair.upstreamPort, '/ok')).toBe(200);
    for (let i = 0; i < 2; i++) expect(await get(pair.upstreamPort, '/fail')).toBe(500);

    // The control plane's gather endpoint, as it answers for these proxies.
    const scrape = async (admin: number) => (await fetch(`http://127.0.0.1:${admin}/metrics`)).text();
    const admin = await listen((req, res) => {
      if (req.url !== '/proxies/metrics') {
        res.writeHead(404).end();
        return;
      }
      void Promise.all([scrape(pair.aPorts.admin), scrape(pair.bPorts.admin)]).then(([a, b]) => {
        const at = Date.now();
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({
            proxies: [
              { namespace: 'default', workload: 'a-1', service: 'a', at, metrics: a },
              { namespace: 'default', workload: 'b-1', service: 'b', at, metrics: b },
              { namespace: 'default', workload: 'b-2', service: 'b', at, error: 'connect ECONNREFUSED' },
              { namespace: 'other', workload: 'x-1', service: 'x', at, metrics: 'up 1\n' },
            ],
          }),
        );
      });
    });
    const url = `http://127.0.0.1:${admin}`;

    const json = await weft(
      'stat',
      '--control-plane-admin',
      url,
      '--window',
      '0',
      '-o',
      'json',
      '-n',
      'default',
    );
    expect(json.stderr).toBe('');
    expect(json.status).toBe(0);
    const report = JSON.parse(json.stdout) as { services: Array<Record<string, unknown>> };
    expect(report.services.map((s) => s.service)).toEqual(['a', 'b']);
    const b = report.services[1];
    expect(b).toMatchObject({
      namespace: 'default',
      proxies: 1,
      unreachable: 1,
      requests: 10,
      successRate: 0.8,
    });
    expect(b?.requestsPerSecond).toBeGreaterThan(0);
    expect(b?.p50Ms).toBeGreaterThan(0);
    expect(Number(b?.p99Ms)).toBeGreaterThanOrEqual(Number(b?.p50Ms));
    expect(report.services[0]).toMatchObject({ service: 'a', requests: 0, successRate: null });

    const table = await weft('stat', '--control-plane-admin', url, '--window', '200ms');
    expect(table.status).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAMESPACE\s+SERVICE\s+MESHED\s+SUCCESS\s+RPS\s+P50\s+P95\s+P99$/);
    // Nothing happened during the 200 ms window: no requests, no rates.
    expect(lines.find((l) => /^default\s+b\s/.test(l))).toMatch(
      /^default\s+b\s+1\/2\s+-\s+0\.0\s+-\s+-\s+-$/,
    );
    expect(lines.some((l) => /^other\s+x\s+1\s/.test(l))).toBe(true);
  });

  it('fails clearly without a control plane and on a bad window', async () => {
    const down = await weft('stat', '--control-plane-admin', 'http://127.0.0.1:1', '--window', '0');
    expect(down.status).toBe(1);
    expect(down.stderr).toMatch(
      /cannot reach the control plane admin at http:\/\/127\.0\.0\.1:1\/proxies\/metrics/,
    );
    const bad = await weft('stat', '--window', 'soon');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/"soon" is not a duration/);
  });
});
