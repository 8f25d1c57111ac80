// The restartable informer against a real HTTP API server on loopback (list + chunked watch):
// restarts with backoff, resets once a watch opens, honours Retry-After, and stops cleanly.
import type { V1Namespace } from '@kubernetes/client-node';
import { ManualClock } from '@weft/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type FakeKubeApi,
  fakeKubeConfig,
  startFakeKubeApi,
} from '../../../test/fixtures/injector/fake-kube-api.js';
import { RestartableInformer, type RestartableInformerOptions } from './informer.js';
import { silentLogger } from './logging.js';

let api: FakeKubeApi;
let clock: ManualClock;
let informer: RestartableInformer<V1Namespace> | undefined;
const seen: string[] = [];

beforeEach(async () => {
  api = await startFakeKubeApi([{ name: 'shop' }]);
  clock = new ManualClock();
  seen.length = 0;
});

afterEach(async () => {
  await informer?.stop();
  informer = undefined;
  await api.close();
});

function start(options: Partial<RestartableInformerOptions<V1Namespace>> = {}) {
  const kc = fakeKubeConfig(api.url);
  const started = new RestartableInformer<V1Namespace>({
    path: '/api/v1/namespaces',
    list: async () => {
      const res = await fetch(`${api.url}/api/v1/namespaces`);
      if (!res.ok) throw Object.assign(new Error(`list: HTTP ${res.status}`), { statusCode: res.status });
      return res.json();
    },
    kubeConfig: kc,
    clock,
    // A fixed draw: full jitter makes each wait uniform in [0, ceiling]; 0.5 gives half of it.
    random: { next: () => 0.5 },
    logger: silentLogger(),
    baseBackoffMs: 100,
    maxBackoffMs: 1000,
    ...options,
  });
  started.on('add', (ns) => seen.push(`add ${ns.metadata?.name}`));
  started.on('update', (ns) => seen.push(`update ${ns.metadata?.name}`));
  informer = started;
  void started.start();
  return started;
}

/** Runs the restart scheduled after `restarts` restarts so far; returns its wait. */
async function nextRestart(i: RestartableInformer<V1Namespace>, restarts: number): Promise<number> {
  await expect.poll(() => clock.pending).toBe(1);
  expect(i.restarts).toBe(restarts);
  const delay = i.lastRetryDelayMs ?? Number.NaN;
  clock.advance(delay);
  await expect.poll(() => i.restarts).toBe(restarts + 1);
  return delay;
}

describe('RestartableInformer', () => {
  it('restarts a refused watch with doubling waits, resumes without a re-list, and resets once it opens', async () => {
    api.failWatches(2, 500);
    const i = start();
    await i.whenSynced();
    expect(seen).toEqual(['add shop']);
    const waits = [await nextRestart(i, 0)];
    expect(i.synced).toBe(true);
    expect(i.connected).toBe(false);
    waits.push(await nextRestart(i, 1));
    // Ceilings 100 and 200 ms (base doubling), each drawn at 0.5.
    expect(waits).toEqual([50, 100]);
    expect(i.recentRetries.map((r) => r.reason)).toEqual(['backoff', 'backoff']);
    await expect.poll(() => i.connected).toBe(true);
    expect(i.consecutiveFailures).toBe(0);
    expect(api.counts.lists).toBe(1);
    api.upsert({ name: 'cart' });
    await expect.poll(() => seen).toContain('add cart');
    // The next outage starts again from the base.
    api.failWatches(1, 500);
    api.breakWatches();
    await expect.poll(() => i.recentRetries.length).toBe(3);
    expect(i.recentRetries[2]?.delayMs).toBe(50);
  });

  it('waits what the server asks (capped, spread up to 20% later) without growing the backoff', async () => {
    api.failWatches(1, 429, '3');
    const i = start({
      retryAfterMs: (err) => ((err as { statusCode?: number }).statusCode === 429 ? 3000 : undefined),
      maxRetryAfterMs: 2000,
    });
    await i.whenSynced();
    const wait = await nextRestart(i, 0);
    expect(wait).toBe(2000 * 1.1);
    expect(i.recentRetries).toMatchObject([{ reason: 'retry-after', delayMs: 2200 }]);
    expect(i.consecutiveFailures).toBe(0);
    await expect.poll(() => i.connected).toBe(true);
    api.upsert({ name: 'shop', annotations: { a: 'b' } });
    await expect.poll(() => seen).toContain('update shop');
  });

  it('restarts after a failed first list and reports the scheduled restart', async () => {
    api.failLists(1);
    const scheduled: number[] = [];
    const i = start({ onRestartScheduled: (retry) => scheduled.push(retry.delayMs) });
    await expect.poll(() => scheduled).toEqual([50]);
    expect(i.synced).toBe(false);
    expect(i.lastError).toMatch(/list: HTTP 500/);
    await nextRestart(i, 0);
    await i.whenSynced();
    expect(seen).toEqual(['add shop']);
    expect(api.counts.lists).toBe(2);
  });

  it('stop() cancels a pending restart', async () => {
    api.failLists(1);
    const i = start();
    await expect.poll(() => clock.pending).toBe(1);
    await i.stop();
    expect(clock.pending).toBe(0);
    clock.advance(60_000);
    expect(i.restarts).toBe(0);
    expect(api.counts.lists).toBe(1);
  });

  it('needs a kubeConfig or a watch', () => {
    expect(
      () =>
        new RestartableInformer<V1Namespace>({
          path: '/api/v1/namespaces',
          list: async () => ({ items: [] }),
          clock,
          random: { next: () => 0.5 },
          logger: silentLogger(),
        }),
    ).toThrow(/give kubeConfig or watch/);
  });
});
