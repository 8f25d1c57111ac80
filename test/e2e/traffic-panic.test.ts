/**
 * Panic mode end to end (issue 13, defect 8): two replicas, at most 50% ejected. Replica a fails
 * and is ejected for 30 s, then recovers while still ejected; replica b dies (SIGKILL). Without
 * panic mode every request fails until a's ejection ends; with it, requests reach a. Counts, not
 * clocks, decide: no retries are configured, so each request shows the balancer's own pick.
 */
import { afterAll, afterEach, expect, it } from 'vitest';
import { type Backend, closeAgent, load, send, startBackend } from './traffic-harness.js';
import { backendOf, destinationOf, startControlPlane, startProxy } from './traffic-mesh.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(() => closeAgent());

const sec = (s: number) => ({ seconds: String(s), nanos: 0 });

it('sends traffic to the ejected replica when the only non-ejected one dies', {
  timeout: 120_000,
}, async () => {
  const backends: Backend[] = await Promise.all([startBackend({ name: 'a' }), startBackend({ name: 'b' })]);
  for (const b of backends) cleanups.push(() => b.stop());
  const [a, b] = backends as [Backend, Backend];
  const cp = await startControlPlane(
    destinationOf({
      backends: [backendOf('api', [{ port: a.port }, { port: b.port }])],
      policy: {
        loadBalancer: 'LOAD_BALANCER_ROUND_ROBIN',
        retry: { attempts: 1, conditions: [] },
        outlierDetection: { consecutiveFailures: 3, baseEjectionTime: sec(30), maxEjectionPercent: 50 },
      },
    }),
  );
  cleanups.push(() => cp.stop());
  const proxy = await startProxy(cp);
  cleanups.push(() => proxy.stop());

  // a answers 503 until it is ejected (round robin keeps sending it every other request).
  await a.configure({ failRate: 1 });
  const aKey = `127.0.0.1:${a.port}`;
  for (
    let i = 0;
    i < 200 && (await proxy.metric('weft_proxy_outlier_ejections_total', { endpoint: aKey })) === 0;
    i++
  )
    await load({ port: proxy.upstreamPort, total: 10, concurrency: 1 });
  expect(await proxy.metric('weft_proxy_outlier_ejections_total', { endpoint: aKey })).toBe(1);
  // a recovers but stays ejected for 30 s; b dies.
  await a.configure({ failRate: 0 });
  const exited = new Promise((r) => b.child.once('exit', r));
  b.child.kill('SIGKILL');
  await exited;

  const r = await load({ port: proxy.upstreamPort, total: 300, concurrency: 4 });
  // b fails until it counts as failing (3 consecutive failures, the cap keeps it in rotation);
  // from then on the balancer is in panic mode and a serves.
  expect(r.byBackend.a ?? 0).toBeGreaterThanOrEqual(290);
  expect(await proxy.metric('weft_proxy_balancer_panics_total')).toBeGreaterThanOrEqual(1);
  expect((await send({ port: proxy.upstreamPort })).body).toBe('a');
});
