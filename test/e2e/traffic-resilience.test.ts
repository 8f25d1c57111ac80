/**
 * Failure handling end to end: retries, the retry budget, outlier ejection and peak-EWMA,
 * with real backend processes (one SIGKILLed mid-run), a real `weft proxy` process and a
 * scripted control plane. Counts, not clocks, decide every assertion but the ejection deadline
 * the issue sets (5 s; typically ~1 s here).
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type Backend, type BackendConfig, closeAgent, load, startBackend } from './traffic-harness.js';
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

async function proxyFor(destination: Parameters<typeof startControlPlane>[0]): Promise<ProxyProcess> {
  const cp = await startControlPlane(destination);
  cleanups.push(() => cp.stop());
  const proxy = await startProxy(cp);
  cleanups.push(() => proxy.stop());
  return proxy;
}

const sec = (s: number) => ({ seconds: String(Math.floor(s)), nanos: Math.round((s % 1) * 1e9) });

describe('retries, budgets, ejection and peak-EWMA through a weft proxy', () => {
  it('keeps >= 99.9% of requests succeeding when one of three backends is SIGKILLed, and ejects it within 5 s', {
    timeout: 120_000,
  }, async () => {
    const [a, b, c] = await backends({ name: 'a' }, { name: 'b' }, { name: 'c' });
    const proxy = await proxyFor(
      destinationOf({
        backends: [
          backendOf(
            'api',
            [a!, b!, c!].map((x) => ({ port: x.port })),
          ),
        ],
      }),
    );
    const dead = `127.0.0.1:${c!.port}`;
    let killedAt = 0;
    let ejectedAfterMs: number | undefined;
    let polling = true;
    const poll = (async () => {
      while (polling) {
        if (killedAt > 0 && ejectedAfterMs === undefined) {
          if ((await proxy.metric('weft_proxy_outlier_ejections_total', { endpoint: dead })) > 0) {
            ejectedAfterMs = performance.now() - killedAt;
          }
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const r = await load({
      port: proxy.upstreamPort,
      total: 10_000,
      concurrency: 16,
      onProgress: (done) => {
        if (done === 2000) {
          killedAt = performance.now();
          c!.child.kill('SIGKILL');
        }
      },
    });
    polling = false;
    await poll;
    const ok = r.byStatus[200] ?? 0;
    const retries = await proxy.metric('weft_proxy_retries_total');
    console.log(
      `[traffic e2e] SIGKILL: ${ok}/${r.total} ok, ejected after ${Math.round(ejectedAfterMs ?? -1)} ms, ${retries} retries`,
    );
    expect(ok / r.total).toBeGreaterThanOrEqual(0.999);
    expect(
      await proxy.metric('weft_proxy_outlier_ejections_total', { endpoint: dead }),
    ).toBeGreaterThanOrEqual(1);
    expect(ejectedAfterMs).toBeDefined();
    expect(ejectedAfterMs as number).toBeLessThan(5000);
    // After the kill the dead endpoint cost a handful of failed attempts, all retried elsewhere.
    expect(await proxy.metric('weft_proxy_retries_total')).toBeGreaterThan(0);
  });

  it('keeps upstream requests within 1.2x client requests plus the budget floor when two of three answer 50% 5xx', {
    timeout: 120_000,
  }, async () => {
    const [a, b, c] = await backends(
      { name: 'a' },
      { name: 'b', failRate: 0.5, seed: 3 },
      { name: 'c', failRate: 0.5, seed: 4 },
    );
    const proxy = await proxyFor(
      destinationOf({
        backends: [
          backendOf(
            'api',
            [a!, b!, c!].map((x) => ({ port: x.port })),
          ),
        ],
        policy: {
          loadBalancer: 'LOAD_BALANCER_ROUND_ROBIN', // keep sending to the failing ones: the budget must hold
          retry: { attempts: 3, conditions: ['5xx'], budget: { ratio: 0.2, minPerSecond: 10, ttl: sec(10) } },
          outlierDetection: { consecutiveFailures: 1000, baseEjectionTime: sec(30), maxEjectionPercent: 0 },
        },
      }),
    );
    const started = performance.now();
    const total = 5000;
    const r = await load({ port: proxy.upstreamPort, total, concurrency: 16 });
    const seconds = (performance.now() - started) / 1000;
    const upstream = (await Promise.all([a!, b!, c!].map((x) => x.stats()))).reduce(
      (sum, s) => sum + s.requests,
      0,
    );
    const floor = 10 * (seconds + 10);
    console.log(
      `[traffic e2e] 50% 5xx: ${upstream} upstream for ${total} client requests (${(upstream / total).toFixed(3)}x, bound ${(1.2 * total + floor).toFixed(0)}), ${r.byStatus[200] ?? 0} ok`,
    );
    expect(upstream).toBeGreaterThan(total); // some retries happened
    expect(upstream).toBeLessThanOrEqual(1.2 * total + floor);
    expect(
      await proxy.metric('weft_proxy_retry_stops_total', { reason: 'budget-exhausted' }),
    ).toBeGreaterThan(0);
    // Without retries a third of requests would fail; within the budget most are recovered.
    expect((r.byStatus[200] ?? 0) / total).toBeGreaterThan(0.75);
  });

  it('gives a backend 50 ms slower than two others at most 10% of requests (peak-EWMA)', {
    timeout: 120_000,
  }, async () => {
    const [a, b, slow] = await backends({ name: 'a' }, { name: 'b' }, { name: 'slow', delayMs: 50 });
    const proxy = await proxyFor(
      destinationOf({
        backends: [
          backendOf(
            'api',
            [a!, b!, slow!].map((x) => ({ port: x.port })),
          ),
        ],
      }),
    );
    const r = await load({ port: proxy.upstreamPort, total: 3000, concurrency: 8 });
    console.log(
      `[traffic e2e] slow backend: ${r.byBackend.slow ?? 0}/3000 requests (${(((r.byBackend.slow ?? 0) / 3000) * 100).toFixed(1)}%)`,
    );
    expect(r.byStatus).toEqual({ 200: 3000 });
    expect((r.byBackend.slow ?? 0) / 3000).toBeLessThanOrEqual(0.1);
  });
});
