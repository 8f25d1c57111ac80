/**
 * Max stream age with two control-plane replicas behind one "Service" (a round-robin TCP
 * forwarder on loopback): the real proxy discovery client is moved from replica to replica by
 * the max age without ever losing its config, and a version a proxy rejected on one replica is
 * not sent to it again by the replica it reconnects to (the next different version is).
 */

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, type Metadata, status } from '@grpc/grpc-js';
import { type DiscoveryResponse__Output, loadDiscoveryProto } from '@weft/api';
import { type RunningControlPlane, startControlPlane } from '@weft/control-plane';
import { SHOP, staticEndpoints } from '@weft/control-plane/testing';
import {
  createIdentityMaterial,
  derToPem,
  generateKeyPair,
  loadIdentityDir,
  privateKeyToPem,
  writeIdentityDir,
} from '@weft/pki';
import { createProxyMetrics, DiscoveryState, DiscoveryStreamClient } from '@weft/proxy';
import { silentLogger } from '@weft/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TcpService } from './support/tcp-service.js';

const MAX_AGE_MS = 1000;
const NAME = 'api.shop.svc.cluster.local:80';
let dir: string;
const replicas: RunningControlPlane[] = [];
const service = new TcpService();
let cert: { ca: Buffer; key: Buffer; chain: Buffer };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'weft-stream-age-'));
  await writeIdentityDir(
    join(dir, 'identity'),
    createIdentityMaterial({
      trustDomain: 'cluster.local',
      anchorValidityMs: 86_400_000,
      issuerValidityMs: 86_400_000,
    }),
  );
  mkdirSync(join(dir, 'config'));
  for (const [file, text] of Object.entries(SHOP)) writeFileSync(join(dir, 'config', file), text);
  for (let i = 0; i < 2; i++) {
    const running = await startControlPlane({
      source: { type: 'folder', dir: join(dir, 'config') },
      identityDir: join(dir, 'identity'),
      grpcAddress: '127.0.0.1:0',
      admin: { host: '127.0.0.1', port: 0 },
      logger: silentLogger(),
      maxStreamAgeMs: MAX_AGE_MS,
      shutdownDrainMs: 0,
    });
    replicas.push(running);
    service.add(running.addresses.grpcPort);
  }
  await service.listen();
  const { ca } = await loadIdentityDir(join(dir, 'identity'));
  const { privateKey, publicKey } = generateKeyPair();
  const issued = ca.issueForKey({ publicKey, identity: 'spiffe://cluster.local/ns/shop/sa/web' });
  cert = {
    ca: Buffer.from(ca.trustAnchors.toPem()),
    key: Buffer.from(privateKeyToPem(privateKey)),
    chain: Buffer.from(issued.chain.map((c) => derToPem(c, 'CERTIFICATE')).join('')),
  };
}, 60_000);

afterAll(async () => {
  await service.close();
  await Promise.all(replicas.map((r) => r.close()));
  rmSync(dir, { recursive: true, force: true });
});

const tls = () => credentials.createSsl(cert.ca, cert.key, cert.chain);

describe('discovery streams with a max age, two replicas behind a Service', () => {
  it('moves a proxy between replicas without a moment without config', async () => {
    const state = new DiscoveryState();
    const metrics = createProxyMetrics(() => 0);
    const client = new DiscoveryStreamClient({
      address: `127.0.0.1:${service.port}`,
      credentials: tls,
      node: () => ({ workload: 'web-1', namespace: 'shop', serviceAccount: 'web' }),
      state,
      metrics,
      logger: silentLogger(),
      // A long backoff: reconnecting within it proves the "reconnect now" path was taken. The
      // jitter is full (uniform in [0, 30 s]), so the draw is fixed high: 0.9 -> 27 s.
      random: { next: () => 0.9 },
      backoff: { baseMs: 30_000, maxMs: 30_000 },
    });
    client.start();
    try {
      expect((await state.wait(NAME, 10_000)).type).toBe('destination');
      expect(state.inboundPolicy()).toBeDefined();
      // Sample on every turn of the event loop while the streams are ended and reopened.
      let samples = 0;
      const gaps: string[] = [];
      const sampler = setInterval(() => {
        samples++;
        if (state.lookup(NAME)?.type !== 'destination') gaps.push(`destination at sample ${samples}`);
        if (state.inboundPolicy() === undefined) gaps.push(`inbound policy at sample ${samples}`);
      }, 1);
      const before = new Map(service.forwarded);
      await expect.poll(() => client.streams, { timeout: 20_000, interval: 20 }).toBeGreaterThanOrEqual(4);
      await expect.poll(() => client.connected, { timeout: 10_000 }).toBe(true);
      clearInterval(sampler);
      expect(gaps).toEqual([]);
      expect(samples).toBeGreaterThan(100);
      expect(metrics.discovery.get({ event: 'reconnect-now' })).toBeGreaterThanOrEqual(3);
      // Each replica took some of the new streams.
      for (const r of replicas) {
        const port = r.addresses.grpcPort;
        expect((service.forwarded.get(port) ?? 0) - (before.get(port) ?? 0)).toBeGreaterThan(0);
      }
      const ended = await Promise.all(
        replicas.map(async (r) => (await r.controlPlane.metrics.streamErrors.get()).values),
      );
      const maxAge = ended.flat().filter((v) => v.labels.reason === 'max-age');
      expect(maxAge.reduce((n, v) => n + v.value, 0)).toBeGreaterThanOrEqual(3);
    } finally {
      client.close();
    }
  }, 60_000);

  it('does not re-send a nacked version after the proxy reconnects to another replica', async () => {
    const { Discovery } = loadDiscoveryProto().weft.discovery.v1alpha1;
    const open = () => {
      const c = new Discovery(`127.0.0.1:${service.port}`, tls(), { 'grpc.use_local_subchannel_pool': 1 });
      const call = c.Stream();
      const responses: DiscoveryResponse__Output[] = [];
      call.on('data', (r: DiscoveryResponse__Output) => responses.push(r));
      const ended = new Promise<{ code: number; metadata: Metadata }>((resolve) =>
        call.on('error', (e: { code: number; metadata: Metadata }) => resolve(e)),
      );
      return { c, call, responses, ended };
    };
    const answerFor = (rs: DiscoveryResponse__Output[], name: string) =>
      rs.flatMap((r) => r.resources.map((x) => ({ ...x, nonce: r.nonce }))).filter((x) => x.name === name);

    // Stream 1: take the destination, reject it, and wait for the max age to end the stream.
    const first = open();
    first.call.write({ node: { workload: 'web-2' } });
    first.call.write({ subscribe: { names: [NAME] } });
    await expect.poll(() => answerFor(first.responses, NAME).length, { timeout: 10_000 }).toBe(1);
    const rejected = answerFor(first.responses, NAME)[0] as { version: string; nonce: string };
    first.call.write({ nack: { nonce: rejected.nonce, errorDetail: 'test: rejected on purpose' } });
    const end = await first.ended;
    expect(end.code).toBe(status.UNAVAILABLE);
    expect(end.metadata.get('weft-reconnect')).toEqual(['now']);
    first.c.close();

    // Stream 2 (through the Service, to the next replica): names the rejected version.
    const second = open();
    try {
      second.call.write({
        node: { workload: 'web-2', rejectedVersions: [{ name: NAME, version: rejected.version }] },
      });
      second.call.write({ subscribe: { names: [NAME] } });
      // Answered in order: once the answer to a later subscription is here, the first was handled.
      second.call.write({ subscribe: { names: ['nothing.shop.svc.cluster.local:80'] } });
      await expect
        .poll(() => answerFor(second.responses, 'nothing.shop.svc.cluster.local:80').length, {
          timeout: 10_000,
        })
        .toBe(1);
      expect(answerFor(second.responses, NAME)).toEqual([]);
      // The next different version is sent.
      writeFileSync(
        join(dir, 'config', 'endpoints.yaml'),
        staticEndpoints('api-v1', 'shop', ['10.1.0.1', '10.1.0.2', '10.1.0.4']) +
          staticEndpoints('api-v2', 'shop', ['10.1.0.3']) +
          staticEndpoints('store', 'shop', ['10.1.0.9']),
      );
      await expect.poll(() => answerFor(second.responses, NAME).length, { timeout: 20_000 }).toBe(1);
      expect(answerFor(second.responses, NAME)[0]?.version).not.toBe(rejected.version);
    } finally {
      second.call.cancel();
      second.c.close();
    }
  }, 60_000);
});
