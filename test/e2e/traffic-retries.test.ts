/**
 * Which requests are retried, end to end: a POST once sent is not, a POST whose connection
 * failed is, and a body over 64 KiB never is. Real backend processes, a real `weft proxy`
 * process, a scripted control plane; round robin so that every request alternates endpoints.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  type Backend,
  type BackendConfig,
  closeAgent,
  closedPort,
  send,
  startBackend,
} from './traffic-harness.js';
import {
  backendOf,
  destinationOf,
  type ProxyProcess,
  startControlPlane,
  startProxy,
} from './traffic-mesh.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(() => closeAgent());

async function backends(...configs: BackendConfig[]): Promise<Backend[]> {
  const out = await Promise.all(configs.map((c) => startBackend(c)));
  for (const b of out) cleanups.push(() => b.stop());
  return out;
}

const sec = (s: number) => ({ seconds: String(Math.floor(s)), nanos: Math.round((s % 1) * 1e9) });

/** A proxy over endpoints on `ports`, round robin, retries on 5xx and connect failures, no ejection. */
async function proxyOver(ports: number[]): Promise<ProxyProcess> {
  const cp = await startControlPlane(
    destinationOf({
      backends: [
        backendOf(
          'api',
          ports.map((port) => ({ port })),
        ),
      ],
      policy: {
        loadBalancer: 'LOAD_BALANCER_ROUND_ROBIN',
        retry: { attempts: 3, conditions: ['5xx', 'connect-failure'] },
        outlierDetection: { consecutiveFailures: 1000, baseEjectionTime: sec(30), maxEjectionPercent: 0 },
      },
    }),
  );
  cleanups.push(() => cp.stop());
  const proxy = await startProxy(cp);
  cleanups.push(() => proxy.stop());
  return proxy;
}

async function sequential(n: number, req: Parameters<typeof send>[0]): Promise<Record<number, number>> {
  const byStatus: Record<number, number> = {};
  for (let i = 0; i < n; i++) {
    const r = await send(req);
    byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
  }
  return byStatus;
}

describe('retry eligibility through a weft proxy', () => {
  it('does not retry a POST that reached the upstream, but retries a GET', { timeout: 60_000 }, async () => {
    const [down] = await backends({ name: 'down', failRate: 1 });
    const proxy = await proxyOver([down!.port]);
    expect(await sequential(20, { port: proxy.upstreamPort, method: 'POST', body: 'order' })).toEqual({
      503: 20,
    });
    expect((await down!.stats()).byMethod.POST).toBe(20);
    expect(await proxy.metric('weft_proxy_retry_stops_total', { reason: 'non-idempotent' })).toBe(20);
    expect(await sequential(10, { port: proxy.upstreamPort, method: 'GET' })).toEqual({ 503: 10 });
    const stats = await down!.stats();
    expect(stats.byMethod.GET).toBe(30); // three attempts each
    expect(stats.byAttempt['3']).toBe(10);
  });

  it('retries a POST whose connection failed, delivering each exactly once', {
    timeout: 60_000,
  }, async () => {
    const [live] = await backends({ name: 'live' });
    const proxy = await proxyOver([await closedPort(), live!.port]);
    expect(await sequential(40, { port: proxy.upstreamPort, method: 'POST', body: 'order' })).toEqual({
      200: 40,
    });
    const stats = await live!.stats();
    expect(stats.byMethod.POST).toBe(40);
    // Round robin sends about half of the first attempts to the refusing endpoint.
    expect(stats.byAttempt['2'] ?? 0).toBeGreaterThanOrEqual(10);
    expect(stats.bodyBytes).toBe(40 * 'order'.length);
  });

  it('does not retry a 100 KiB body, but retries a 1 KiB one', { timeout: 60_000 }, async () => {
    const [down, live] = await backends({ name: 'down', failRate: 1 }, { name: 'live' });
    const proxy = await proxyOver([down!.port, live!.port]);
    const big = Buffer.alloc(100 * 1024, 'x');
    const bigResults = await sequential(20, { port: proxy.upstreamPort, method: 'PUT', body: big });
    expect(bigResults[503] ?? 0).toBeGreaterThanOrEqual(5);
    expect((bigResults[200] ?? 0) + (bigResults[503] ?? 0)).toBe(20);
    expect((await live!.stats()).byAttempt['2']).toBeUndefined();
    expect(await proxy.metric('weft_proxy_retry_stops_total', { reason: 'body-too-large' })).toBe(
      bigResults[503],
    );
    const small = Buffer.alloc(1024, 'y');
    expect(await sequential(20, { port: proxy.upstreamPort, method: 'PUT', body: small })).toEqual({
      200: 20,
    });
    const after = await live!.stats();
    expect(after.byAttempt['2'] ?? 0).toBeGreaterThanOrEqual(5);
    expect(after.bodyBytes).toBe((bigResults[200] ?? 0) * big.length + 20 * small.length);
  });
});
