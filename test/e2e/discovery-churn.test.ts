/**
 * Destination churn against the real control plane (ControlPlane over a manifests folder, gRPC
 * with mTLS on 127.0.0.1): 10,000 Services come and go in rounds; the proxy's discovery state
 * subscribes to each, compiles it at push, serves requests from the installed traffic state,
 * drops it when the Service is deleted and unsubscribes it once idle (a ManualClock drives the
 * proxy's idle sweep). The control plane caps subscriptions per stream well below 10,000, so a
 * proxy that never unsubscribed would be refused there.
 */

import { unlinkSync } from 'node:fs';
import { join } from 'node:path';
import {
  clientCredentials,
  type Fixture,
  SHOP,
  service,
  startFixture,
  staticEndpoints,
  WEB_ID,
} from '@weft/control-plane/testing';
import { ManualClock, seededRandom } from '@weft/core';
import { createProxyMetrics, DiscoveryState, DiscoveryStreamClient } from '@weft/proxy';
import { TrafficRegistry } from '@weft/proxy/testing';
import { silentLogger } from '@weft/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const IDLE_MS = 120_000;
const ROUNDS = 20;
const BATCH = 500;
/** Per-stream cap at the control plane: two rounds' worth, far below the 10,000 names churned. */
const MAX_SUBSCRIPTIONS = 2 * BATCH;

let fx: Fixture;
beforeAll(async () => {
  fx = await startFixture(SHOP, undefined, { maxSubscriptions: MAX_SUBSCRIPTIONS });
});
afterAll(async () => {
  await fx?.close();
});

function proxy() {
  const clock = new ManualClock();
  const traffic = new TrafficRegistry({ clock, random: seededRandom(5) });
  const state = new DiscoveryState();
  state.useTraffic(traffic);
  const metrics = createProxyMetrics(() => 0);
  const client = new DiscoveryStreamClient({
    address: `127.0.0.1:${fx.port}`,
    credentials: () => clientCredentials(fx.pki, WEB_ID),
    node: () => ({ workload: 'web-1', namespace: 'shop' }),
    state,
    metrics,
    logger: silentLogger(),
    random: seededRandom(2),
    clock,
    idleUnsubscribeMs: IDLE_MS,
  });
  client.start();
  return { clock, traffic, state, client, metrics };
}

describe('destination churn against the control plane', () => {
  it('10,000 Services created, used, deleted: traffic state and subscriptions do not grow', async () => {
    const p = proxy();
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const services = Array.from({ length: BATCH }, (_, i) => `churn-${round}-${i}`);
        const file = `churn-${round}.yaml`;
        await fx.write(
          file,
          services
            .map((s, i) => service(s, 'shop') + staticEndpoints(s, 'shop', [`10.1.${round}.${i % 250}`]))
            .join(''),
        );
        const names = services.map((s) => `${s}.shop.svc.cluster.local:80`);
        const answers = await Promise.all(names.map((n) => p.state.wait(n, 20_000)));
        expect(answers.filter((a) => a.type !== 'destination')).toEqual([]);
        for (const name of names) {
          const r = p.state.lookup(name);
          if (r?.type !== 'destination') throw new Error(`${name}: ${r?.type}`);
          const t = p.traffic.for(r.destination);
          const selected = t.plan.select(
            { method: 'GET', path: '/', header: () => undefined },
            seededRandom(round),
          );
          if (selected.type !== 'selected') throw new Error(`${name}: ${selected.type}`);
          const picked = t.balancer(selected.backend)?.pick();
          expect(picked?.type === 'pick' && picked.endpoint.value.target.port).toBe(8080);
        }
        // Installed at push, one per destination of this round; nothing compiled per request.
        expect(p.traffic.stats()).toMatchObject({ destinations: BATCH, compiledOnRequest: 0 });
        // The Services are deleted: does-not-exist comes, and their traffic state goes at once.
        unlinkSync(join(fx.dir, file));
        await fx.folder.reload();
        await expect.poll(() => p.traffic.size, { timeout: 20_000 }).toBe(0);
        // Unused for the idle timeout: unsubscribed, and the control plane lets go of them too.
        p.clock.advance(IDLE_MS * 1.5);
        expect(p.client.subscriptions).toBe(0);
        await expect.poll(() => fx.cp.discovery.indexSizes().subscriptions, { timeout: 20_000 }).toBe(0);
        expect(p.state.stats()).toMatchObject({ names: 0, asked: 0 });
      }
      expect(p.metrics.discovery.get({ event: 'idle-unsubscribe' })).toBe(ROUNDS * BATCH);
      expect(p.metrics.discovery.get({ event: 'nack' })).toBe(0);
      expect(p.client.connected).toBe(true);
      expect(p.client.streams).toBe(1);
    } finally {
      p.client.close();
    }
  }, 240_000);

  it('a Service idle past the timeout is unsubscribed, and the next request subscribes it again', async () => {
    const p = proxy();
    try {
      const name = 'api.shop.svc.cluster.local:80';
      expect((await p.state.wait(name, 20_000)).type).toBe('destination');
      await expect.poll(() => fx.cp.discovery.indexSizes().subscriptions).toBe(1);
      p.clock.advance(IDLE_MS * 1.5);
      await expect.poll(() => fx.cp.discovery.indexSizes().subscriptions).toBe(0);
      expect(p.traffic.size).toBe(0);
      expect((await p.state.wait(name, 20_000)).type).toBe('destination');
      expect(fx.cp.discovery.indexSizes().subscriptions).toBe(1);
      expect(p.traffic.size).toBe(1);
    } finally {
      p.client.close();
    }
  });
});
