// Streams the control plane ends on purpose: at the (jittered) max age, and in batches when it
// drains for shutdown; both with UNAVAILABLE and `weft-reconnect: now`. Time is a ManualClock.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Metadata, status } from '@grpc/grpc-js';
import type { DiscoveryClient, DiscoveryResponse__Output } from '@weft/api';
import { ManualClock } from '@weft/core';
import { afterEach, describe, expect, it } from 'vitest';
import { ControlPlane } from '../control-plane.js';
import { FolderSource } from '../sources/folder-source.js';
import { createTestPki } from '../test-support/certs.js';
import { discoveryClient, serverCredentials } from '../test-support/grpc.js';
import { SHOP, WEB_ID } from '../test-support/manifests.js';
import { ProxySession } from './proxy-session.js';

const MAX_AGE = 60_000;
const pki = createTestPki();
const cleanups: (() => unknown)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function controlPlane(clock: ManualClock): Promise<{ cp: ControlPlane; port: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'weft-age-'));
  for (const [name, text] of Object.entries(SHOP)) writeFileSync(join(dir, name), text);
  const cp = new ControlPlane({
    sources: [new FolderSource({ dir, watch: false })],
    credentials: serverCredentials(pki),
    grpcAddress: '127.0.0.1:0',
    clock,
    maxStreamAgeMs: MAX_AGE,
  });
  const { grpcPort } = await cp.start();
  cleanups.push(async () => {
    await cp.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { cp, port: grpcPort };
}

interface Opened {
  readonly first: Promise<DiscoveryResponse__Output>;
  readonly ended: Promise<{ code: number; details: string; metadata: Metadata }>;
}

function open(port: number, workload: string): Opened {
  const client: DiscoveryClient = discoveryClient(port, pki, WEB_ID);
  const call = client.Stream();
  cleanups.push(() => {
    call.cancel();
    client.close();
  });
  const first = new Promise<DiscoveryResponse__Output>((resolve) => call.once('data', resolve));
  const ended = new Promise<{ code: number; details: string; metadata: Metadata }>((resolve) =>
    call.on('error', resolve),
  );
  call.write({ node: { workload } });
  return { first, ended };
}

describe('discovery stream lifetime', () => {
  it('ends a stream between 0.9 and 1.1 of the max age, telling the proxy to reconnect now', async () => {
    const clock = new ManualClock();
    const { cp, port } = await controlPlane(clock);
    const s = open(port, 'web-1');
    await s.first;
    clock.advance(MAX_AGE * 0.89);
    expect(cp.discovery.size).toBe(1);
    clock.advance(MAX_AGE * 0.22);
    const end = await s.ended;
    expect(end.code).toBe(status.UNAVAILABLE);
    expect(end.details).toContain('maximum age');
    expect(end.metadata.get('weft-reconnect')).toEqual(['now']);
    expect(cp.discovery.size).toBe(0);
    const metric = (await cp.metrics.streamErrors.get()).values.find((v) => v.labels.reason === 'max-age');
    expect(metric?.value).toBe(1);
  });

  it('drains in batches over the drain time and refuses new streams meanwhile', async () => {
    const clock = new ManualClock();
    const { cp, port } = await controlPlane(clock);
    const streams = Array.from({ length: 10 }, (_, i) => open(port, `web-${i}`));
    await Promise.all(streams.map((s) => s.first));
    expect(cp.discovery.size).toBe(10);
    const drained = cp.discovery.drain({ durationMs: 1000, batches: 5 });
    // The first batch at once, then one batch every 200 ms.
    expect(cp.discovery.size).toBe(8);
    const late = open(port, 'late');
    const refused = await late.ended;
    expect(refused.code).toBe(status.UNAVAILABLE);
    expect(refused.metadata.get('weft-reconnect')).toEqual(['now']);
    for (const left of [6, 4, 2, 0]) {
      clock.advance(199);
      await new Promise((r) => setImmediate(r));
      expect(cp.discovery.size).toBe(left + 2);
      clock.advance(1);
      await expect.poll(() => cp.discovery.size).toBe(left);
    }
    await drained;
    const ends = await Promise.all(streams.map((s) => s.ended));
    expect(ends.every((e) => e.metadata.get('weft-reconnect')[0] === 'now')).toBe(true);
  });
});

describe('ProxySession.seedRejected', () => {
  it('keeps what a proxy says it rejected, bounded in count and length', () => {
    const session = new ProxySession(
      'p',
      { id: WEB_ID, namespace: 'shop', serviceAccount: 'web' } as never,
      {
        namespace: 'shop',
        workload: 'web-1',
      } as never,
      '',
    );
    const many = Array.from({ length: 1500 }, (_, i) => ({ name: `n${i}`, version: 'v' }));
    session.seedRejected([{ name: 'x'.repeat(513), version: 'v' }, { name: '', version: 'v' }, ...many]);
    expect(Object.keys(session.rejectedVersions())).toHaveLength(998);
    // A rejected version is not sent; another version is.
    expect(session.upsert('n1', 'v', { name: 'n1', version: 'v' })).toBeUndefined();
    expect(session.upsert('n1', 'w', { name: 'n1', version: 'w' })).toEqual({
      type: 'upsert',
      resource: { name: 'n1', version: 'w' },
    });
  });
});
