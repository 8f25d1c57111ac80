import { ManualClock } from '@weft/core';
import { silentLogger } from '@weft/runtime';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ControlPlaneMetrics } from '../metrics.js';
import { FakeKubeApi } from '../test-support/fake-kube-api.js';
import { InformerRunner } from './informer-runner.js';
import { retryAfterMs } from './kube-client.js';
import { WATCHED_KINDS } from './watched-kinds.js';

const services = WATCHED_KINDS.find((w) => w.kind === 'Service');
if (services === undefined) throw new Error('Service is watched');

let api: FakeKubeApi;
let clock: ManualClock;
let runner: InformerRunner;
const seen: string[] = [];

function svc(name: string) {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'shop' }, spec: {} };
}

beforeEach(async () => {
  api = new FakeKubeApi();
  await api.listen();
  clock = new ManualClock();
  seen.length = 0;
  runner = new InformerRunner({
    kubeConfig: api.kubeConfig(),
    watched: services,
    version: 'v1',
    onEvents: (events) => {
      for (const e of events) seen.push(`${e.type} ${e.ref.name}`);
    },
    clock,
    // A fixed draw: full jitter makes each wait uniform in [0, ceiling]; 0.9 shows the ceiling.
    random: { next: () => 0.9 },
    logger: silentLogger(),
    metrics: new ControlPlaneMetrics(),
  });
  api.apply(svc('api'));
  runner.start();
  await runner.whenSynced();
  await expect.poll(() => api.stats('', 'v1', 'services').open).toBe(1);
});

afterEach(async () => {
  runner.stop();
  await api.close();
});

/** Waits for the restart the runner scheduled after failure number `failures`, then runs it. */
async function nextRestart(restarts: number): Promise<number> {
  await expect.poll(() => clock.pending).toBe(1);
  expect(runner.restarts).toBe(restarts);
  const delay = runner.lastRetryDelayMs ?? Number.NaN;
  clock.advance(delay);
  await expect.poll(() => runner.restarts).toBe(restarts + 1);
  return delay;
}

describe('InformerRunner backoff', () => {
  it('doubles while the watch keeps failing and resets once a resumed watch opens', async () => {
    const lists = api.stats('', 'v1', 'services').lists;
    api.failWatches(3, 500);
    api.dropWatches();
    const delays = [await nextRestart(0), await nextRestart(1), await nextRestart(2)];
    // Ceilings 500, 1000, 2000 ms (base 500 ms doubling), each drawn at 0.9.
    expect(delays).toEqual([450, 900, 1800]);
    // The fourth watch resumes from the last resourceVersion: no re-list, yet the backoff resets.
    await nextRestart(3);
    await expect.poll(() => api.stats('', 'v1', 'services').open).toBe(1);
    expect(runner.consecutiveFailures).toBe(0);
    expect(api.stats('', 'v1', 'services').lists).toBe(lists);
    // The next outage starts again from the base backoff, not from where the last one ended.
    api.dropWatches();
    const first = await nextRestart(4);
    expect(first).toBe(450);
    api.apply(svc('cart'));
    await expect.poll(() => seen).toContain('upsert cart');
  });

  it('waits the Retry-After of a 429 or 503 (capped) without growing the backoff', async () => {
    api.failWatches(1, 429, '3');
    api.dropWatches();
    await nextRestart(0);
    const retryAfter = await nextRestart(1);
    expect(retryAfter).toBeGreaterThanOrEqual(3000);
    expect(retryAfter).toBeLessThanOrEqual(3600);
    expect(runner.recentRetries.map((r) => r.reason)).toEqual(['backoff', 'retry-after']);
    expect(runner.consecutiveFailures).toBe(1);
    await expect.poll(() => runner.consecutiveFailures).toBe(0);

    api.failWatches(1, 503, '3600');
    api.dropWatches();
    await nextRestart(2);
    const capped = await nextRestart(3);
    expect(capped).toBeGreaterThanOrEqual(10_000);
    expect(capped).toBeLessThanOrEqual(12_000);
    await expect.poll(() => api.stats('', 'v1', 'services').open).toBe(1);
    api.apply(svc('cart'));
    await expect.poll(() => seen).toContain('upsert cart');
  });
});

describe('retryAfterMs', () => {
  it('reads delay-seconds and HTTP dates on 429 and 503 only', () => {
    const now = Date.UTC(2026, 0, 1, 12, 0, 0);
    expect(retryAfterMs(429, '2', now)).toBe(2000);
    expect(retryAfterMs(503, 'Thu, 01 Jan 2026 12:00:05 GMT', now)).toBe(5000);
    expect(retryAfterMs(503, 'Thu, 01 Jan 2026 11:00:00 GMT', now)).toBe(0);
    expect(retryAfterMs(503, 'soon', now)).toBeUndefined();
    expect(retryAfterMs(500, '2', now)).toBeUndefined();
    expect(retryAfterMs(429, undefined, now)).toBeUndefined();
  });
});
