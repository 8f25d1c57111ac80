/**
 * Stream spreading: three control-plane replicas behind one "Service" (a round-robin TCP
 * forwarder) and 300 lightweight discovery clients in a process of their own. One replica is
 * restarted: it leaves the Service and ends its streams in batches, so its proxies land on the
 * other two, each of which then holds within 20% of half the load; once it is back, the max
 * stream age (short here) moves proxies onto it until every replica holds within 20% of a third.
 * Each condition is polled, with a deadline (one max-age period, plus slack for a shared machine).
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type RunningControlPlane, startControlPlane } from '@weft/control-plane';
import { SHOP } from '@weft/control-plane/testing';
import {
  createIdentityMaterial,
  derToPem,
  generateKeyPair,
  loadIdentityDir,
  privateKeyToPem,
  writeIdentityDir,
} from '@weft/pki';
import { silentLogger } from '@weft/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TcpService } from './support/tcp-service.js';

const PROXIES = 300;
const MAX_AGE_MS = 8000;
const load = fileURLToPath(new URL('./support/discovery-load.mjs', import.meta.url));
let dir: string;
const service = new TcpService();
let replicas: RunningControlPlane[] = [];
let generator: ChildProcess | undefined;

const start = () =>
  startControlPlane({
    source: { type: 'folder', dir: join(dir, 'config') },
    identityDir: join(dir, 'identity'),
    grpcAddress: '127.0.0.1:0',
    admin: { host: '127.0.0.1', port: 0 },
    logger: silentLogger(),
    maxStreamAgeMs: MAX_AGE_MS,
    shutdownDrainMs: 1000,
  });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'weft-spread-'));
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
  replicas = await Promise.all([start(), start(), start()]);
  for (const r of replicas) service.add(r.addresses.grpcPort);
  await service.listen();
  const { ca } = await loadIdentityDir(join(dir, 'identity'));
  const { privateKey, publicKey } = generateKeyPair();
  const issued = ca.issueForKey({ publicKey, identity: 'spiffe://cluster.local/ns/shop/sa/load' });
  writeFileSync(join(dir, 'ca.pem'), ca.trustAnchors.toPem());
  writeFileSync(join(dir, 'key.pem'), privateKeyToPem(privateKey));
  writeFileSync(join(dir, 'chain.pem'), issued.chain.map((c) => derToPem(c, 'CERTIFICATE')).join(''));
}, 60_000);

afterAll(async () => {
  if (generator?.exitCode === null) generator.kill('SIGKILL');
  await service.close();
  await Promise.all(replicas.map((r) => r.close()));
  rmSync(dir, { recursive: true, force: true });
});

const loads = (rs: RunningControlPlane[]) => rs.map((r) => r.controlPlane.discovery.size);
const within = (n: number, target: number) => Math.abs(n - target) <= 0.2 * target;
/**
 * Every replica of `rs` holds within 20% of an equal share of the streams open now, and at least
 * 90% of the proxies have one open (streams ended by age are reopened continuously; on a busy
 * machine a few are between two streams at any moment).
 */
const balanced = (rs: RunningControlPlane[]): boolean => {
  const l = loads(rs);
  const total = l.reduce((a, b) => a + b, 0);
  return total >= 0.9 * PROXIES && l.every((n) => within(n, total / rs.length));
};

/** Polls every 50 ms until `check` holds; fails after `ms` naming the last loads seen. */
async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${ms} ms waiting for ${what}; loads ${loads(replicas)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('spreading discovery streams over replicas', () => {
  it(`${PROXIES} proxies: a restarted replica's share moves to the others, then back by max age`, async () => {
    const child = spawn(
      process.execPath,
      [
        load,
        JSON.stringify({
          address: `127.0.0.1:${service.port}`,
          count: PROXIES,
          ca: join(dir, 'ca.pem'),
          key: join(dir, 'key.pem'),
          chain: join(dir, 'chain.pem'),
        }),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    generator = child;
    await until(
      () => loads(replicas).reduce((a, b) => a + b, 0) === PROXIES,
      60_000,
      'every proxy connected',
    );

    // Restart replica 3: out of the Service, its streams ended in batches, then a new process.
    const [a, b, old] = replicas as [RunningControlPlane, RunningControlPlane, RunningControlPlane];
    service.remove(old.addresses.grpcPort);
    await old.close();
    const survivors = [a, b];
    await until(
      () => balanced(survivors),
      MAX_AGE_MS * 1.1 + 20_000,
      'the two others each holding half (±20%)',
    );
    const halves = loads(survivors);
    const fresh = await start();
    replicas = [a, b, fresh];
    service.add(fresh.addresses.grpcPort);
    await until(
      () => balanced(replicas),
      MAX_AGE_MS * 1.1 + 20_000,
      'every replica holding a third (±20%) after one max-age period',
    );
    const thirds = loads(replicas);
    process.stderr.write(`discovery-spread: while restarting ${halves}; after one max age ${thirds}\n`);
    const share = (l: number[]) => l.reduce((a, b) => a + b, 0) / l.length;
    expect(halves.every((n) => within(n, share(halves)))).toBe(true);
    expect(thirds.every((n) => within(n, share(thirds)))).toBe(true);
    // The drained replica ended its streams in batches of a tenth, not all at once.
    const ended = (await old.controlPlane.metrics.streamErrors.get()).values.find(
      (v) => v.labels.reason === 'shutdown',
    );
    expect(ended?.value).toBeGreaterThan(0);
  }, 180_000);
});
