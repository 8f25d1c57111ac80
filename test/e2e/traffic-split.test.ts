/**
 * Traffic splits end to end: real backend processes, a real `weft proxy` process, and a
 * scripted control plane serving the Destination over the real Discovery stream.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type Backend, closeAgent, load, send, startBackend } from './traffic-harness.js';
import {
  backendOf,
  destinationOf,
  type FakeControlPlane,
  type ProxyProcess,
  splitRoute,
  startControlPlane,
  startProxy,
} from './traffic-mesh.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(() => closeAgent());

async function backends(...names: string[]): Promise<Backend[]> {
  const out = await Promise.all(names.map((name) => startBackend({ name })));
  for (const b of out) cleanups.push(() => b.stop());
  return out;
}

async function mesh(
  destination: Parameters<typeof startControlPlane>[0],
): Promise<{ cp: FakeControlPlane; proxy: ProxyProcess }> {
  const cp = await startControlPlane(destination);
  cleanups.push(() => cp.stop());
  const proxy = await startProxy(cp);
  cleanups.push(() => proxy.stop());
  return { cp, proxy };
}

describe('traffic splits through a weft proxy', () => {
  it('sends 10% of 10,000 requests to v2 within 2 points on a 90/10 split', {
    timeout: 120_000,
  }, async () => {
    const [v1, v2] = await backends('v1', 'v2');
    const { proxy } = await mesh(
      destinationOf({
        backends: [backendOf('api-v1', [{ port: v1!.port }]), backendOf('api-v2', [{ port: v2!.port }])],
        routes: splitRoute([
          { service: 'api-v1', weight: 90 },
          { service: 'api-v2', weight: 10 },
        ]),
      }),
    );
    const r = await load({ port: proxy.upstreamPort, total: 10_000, concurrency: 16 });
    expect(r.byStatus).toEqual({ 200: 10_000 });
    console.log(`[traffic e2e] 90/10: v2 got ${r.byBackend.v2 ?? 0}/10000`);
    // Binomial sd at p=0.1, n=10,000 is 0.3 points: 2 points is over 6 sd.
    expect(Math.abs((r.byBackend.v2 ?? 0) / 10_000 - 0.1)).toBeLessThanOrEqual(0.02);
  });

  it('splits three ways 50/30/20 within 2 points each', { timeout: 120_000 }, async () => {
    const [a, b, c] = await backends('a', 'b', 'c');
    const { proxy } = await mesh(
      destinationOf({
        backends: [
          backendOf('api-a', [{ port: a!.port }]),
          backendOf('api-b', [{ port: b!.port }]),
          backendOf('api-c', [{ port: c!.port }]),
        ],
        routes: splitRoute([
          { service: 'api-a', weight: 50 },
          { service: 'api-b', weight: 30 },
          { service: 'api-c', weight: 20 },
        ]),
      }),
    );
    const r = await load({ port: proxy.upstreamPort, total: 10_000, concurrency: 16 });
    expect(r.byStatus).toEqual({ 200: 10_000 });
    console.log(`[traffic e2e] 50/30/20: ${JSON.stringify(r.byBackend)}`);
    expect(Math.abs((r.byBackend.a ?? 0) / 10_000 - 0.5)).toBeLessThanOrEqual(0.02);
    expect(Math.abs((r.byBackend.b ?? 0) / 10_000 - 0.3)).toBeLessThanOrEqual(0.02);
    expect(Math.abs((r.byBackend.c ?? 0) / 10_000 - 0.2)).toBeLessThanOrEqual(0.02);
  });

  it('applies a weight change under load to new requests without failing any', {
    timeout: 120_000,
  }, async () => {
    const [v1, v2] = await backends('v1', 'v2');
    const backendsOf = [backendOf('api-v1', [{ port: v1!.port }]), backendOf('api-v2', [{ port: v2!.port }])];
    const weighted = (w1: number, w2: number) =>
      destinationOf({
        backends: backendsOf,
        routes: splitRoute([
          { service: 'api-v1', weight: w1 },
          { service: 'api-v2', weight: w2 },
        ]),
      });
    const { cp, proxy } = await mesh(weighted(100, 0));
    let phase: 'before' | 'changing' | 'after' = 'before';
    const seen = { before: new Map<string, number>(), after: new Map<string, number>() };
    let failures = 0;
    let started = 0;
    const total = 6000;
    const worker = async () => {
      while (started < total) {
        started++;
        const at = phase;
        const res = await send({ port: proxy.upstreamPort });
        if (res.status !== 200) failures++;
        else if (at !== 'changing') seen[at].set(res.body, (seen[at].get(res.body) ?? 0) + 1);
        if (started === 2000 && phase === 'before') {
          phase = 'changing';
          void cp.update(weighted(0, 100)).then(() => {
            phase = 'after';
          });
        }
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    expect(failures).toBe(0);
    expect(seen.before.get('v2')).toBeUndefined();
    expect(seen.before.get('v1')).toBeGreaterThan(1000);
    // Requests that started after the proxy ACKed the new weights all went to v2.
    expect(seen.after.get('v1')).toBeUndefined();
    expect(seen.after.get('v2')).toBeGreaterThan(1000);
  });
});
