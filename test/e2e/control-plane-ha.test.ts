/**
 * Three `weft control-plane` processes against one fake Kubernetes API server (the real wire
 * format, Leases with resourceVersion conflicts): exactly one writes status and Events; when
 * the leader is SIGKILLed another writes; a leader whose API writes fail (a partition) stops
 * writing, and the third replica takes over.
 *
 * Takeover bound (see lease-elector.ts): a watching follower takes the Lease within the lease
 * duration of the leader's last renewal; the test reads both times from the Lease. The polls
 * below allow more only because three Node processes share two cores with other work.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FakeKubeApi } from '@weft/control-plane/testing';
import { createIdentityMaterial, writeIdentityDir } from '@weft/pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../packages/cli/bin/weft.js', import.meta.url));
const LEASE_MS = 3000;
let dir: string;
let api: FakeKubeApi;

interface Replica {
  readonly id: string;
  readonly child: ChildProcess;
  readonly admin: number;
  stderr: string;
}
const replicas: Replica[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'weft-cp-ha-'));
  await writeIdentityDir(
    join(dir, 'identity'),
    createIdentityMaterial({
      trustDomain: 'cluster.local',
      anchorValidityMs: 86_400_000,
      issuerValidityMs: 86_400_000,
    }),
  );
  api = new FakeKubeApi();
  api.serve('split.smi-spec.io', 'v1alpha2', 'trafficsplits', 'TrafficSplit');
  await api.listen();
  for (const name of ['podinfo', 'podinfo-primary', 'podinfo-canary']) {
    api.apply({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: 'test' },
      spec: { ports: [{ name: 'http', port: 9898 }] },
    });
  }
  const started = await Promise.all(['a', 'b', 'c'].map((id) => start(id)));
  replicas.push(...started);
}, 60_000);

afterAll(async () => {
  for (const r of replicas)
    if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
  await api?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Starts one replica with a kubeconfig of its own (its writes are told apart by its token). */
function start(id: string): Promise<Replica> {
  const kubeconfig = join(dir, `kubeconfig-${id}`);
  writeFileSync(
    kubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'fake',
          cluster: { server: `http://127.0.0.1:${api.port}`, 'insecure-skip-tls-verify': true },
        },
      ],
      users: [{ name: id, user: { token: `test-token.${id}` } }],
      contexts: [{ name: 'fake', context: { cluster: 'fake', user: id } }],
      'current-context': 'fake',
    }),
  );
  const child = spawn(
    process.execPath,
    [
      bin,
      'control-plane',
      '--kubeconfig',
      kubeconfig,
      '--identity-dir',
      join(dir, 'identity'),
      '--listen',
      '127.0.0.1:0',
      '--admin-listen',
      '127.0.0.1:0',
      '--lease-duration',
      `${LEASE_MS}ms`,
      '--lease-namespace',
      'weft-system',
      '--lease-identity',
      id,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        const admin = (JSON.parse(out.slice(0, nl)) as { admin: number }).admin;
        const r: Replica = { id, child, admin, stderr: err };
        child.stderr?.on('data', (d: Buffer) => {
          r.stderr += d.toString();
        });
        resolve(r);
      }
    });
    child.once('exit', (code) => reject(new Error(`replica ${id} exited ${code}: ${err}`)));
  });
}

async function until<T>(probe: () => Promise<T | undefined>, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface DebugState {
  leader: { election: string; leading: boolean; holder: string; identity: string };
  conditions?: unknown;
}

async function debugState(r: Replica): Promise<DebugState & { text: string }> {
  const text = await (await fetch(`http://127.0.0.1:${r.admin}/debug/state`)).text();
  return { ...(JSON.parse(text) as DebugState), text };
}

const lease = () =>
  api.get('coordination.k8s.io/v1', 'Lease', 'weft-system', 'weft-control-plane') as
    | { spec: { holderIdentity: string; renewTime: string; acquireTime: string } }
    | undefined;

const alive = () => replicas.filter((r) => r.child.exitCode === null && r.child.signalCode === null);

/** The one replica that says it leads, once the others agree it holds the Lease. */
async function soleLeader(among: Replica[]): Promise<Replica> {
  return until(
    async () => {
      const states = await Promise.all(among.map(debugState));
      const leading = among.filter((_, i) => states[i]?.leader.leading === true);
      if (leading.length !== 1) return undefined;
      const leader = leading[0] as Replica;
      return states.every((s) => s.leader.holder === leader.id) ? leader : undefined;
    },
    20_000,
    'one leader all replicas agree on',
  );
}

const statusWrites = () =>
  api.writes.filter(
    (w) =>
      (w.method === 'PATCH' && w.path.endsWith('/status')) ||
      (w.method === 'POST' && w.path.endsWith('/events')),
  );

const split = (canary: number, generation: number) => ({
  apiVersion: 'split.smi-spec.io/v1alpha2',
  kind: 'TrafficSplit',
  metadata: { name: 'podinfo', namespace: 'test', uid: 'uid-1', generation },
  spec: {
    service: 'podinfo',
    backends: [
      { service: 'podinfo-primary', weight: 100 },
      { service: 'podinfo-canary', weight: canary },
    ],
  },
});

/** Every replica has read the split at `generation` (so each one would write, were it leading). */
async function allSeeGeneration(among: Replica[], generation: number): Promise<void> {
  await until(
    async () => {
      const states = await Promise.all(among.map(debugState));
      return states.every((s) => s.text.includes(`"generation": ${generation}`)) ? true : undefined;
    },
    20_000,
    `every replica reading generation ${generation}`,
  );
}

describe('control plane replicas with leader election', () => {
  it('exactly one replica writes status and Events; the leader gauge names it', async () => {
    const leader = await soleLeader(replicas);
    api.apply(split(-5, 1));
    await allSeeGeneration(replicas, 1);
    await until(
      async () => (statusWrites().length >= 2 ? true : undefined),
      20_000,
      'status and Event written',
    );
    expect(new Set(statusWrites().map((w) => w.client))).toEqual(new Set([leader.id]));
    const metrics = await (await fetch(`http://127.0.0.1:${leader.admin}/metrics`)).text();
    expect(metrics).toContain(`weft_control_plane_leader{identity="${leader.id}"} 1`);
    const other = replicas.find((r) => r !== leader) as Replica;
    const otherMetrics = await (await fetch(`http://127.0.0.1:${other.admin}/metrics`)).text();
    expect(otherMetrics).toContain(`weft_control_plane_leader{identity="${other.id}"} 0`);
  }, 60_000);

  it('kill the leader: another replica leads within the lease duration and writes the current conditions', async () => {
    const leader = await soleLeader(alive());
    const before = statusWrites().length;
    leader.child.kill('SIGKILL');
    const survivors = alive().filter((r) => r !== leader);
    // Read from the Lease itself: the killed leader's last renewal and the new holder's acquisition.
    let lastRenew = 0;
    const taken = await until(
      async () => {
        const spec = lease()?.spec;
        if (spec?.holderIdentity === leader.id) lastRenew = Date.parse(spec.renewTime);
        return spec !== undefined && spec.holderIdentity !== leader.id && lastRenew > 0
          ? { by: spec.holderIdentity, at: Date.parse(spec.acquireTime) }
          : undefined;
      },
      20_000,
      'another replica taking the Lease',
    );
    expect(survivors.map((r) => r.id)).toContain(taken.by);
    const takeoverMs = taken.at - lastRenew;
    process.stderr.write(
      `control-plane-ha: ${taken.by} took the Lease ${takeoverMs} ms after ${leader.id}'s last renewal (lease ${LEASE_MS} ms)\n`,
    );
    // By construction (lease-elector.ts): within L of the last renewal.
    expect(takeoverMs).toBeLessThanOrEqual(LEASE_MS);
    await until(
      async () =>
        statusWrites()
          .slice(before)
          .some((w) => w.client === taken.by)
          ? true
          : undefined,
      20_000,
      'a status write by the new leader',
    );
    expect(
      statusWrites()
        .slice(before)
        .every((w) => w.client === taken.by),
    ).toBe(true);
    expect((await soleLeader(survivors)).id).toBe(taken.by);
  }, 60_000);

  it('a partitioned leader (its API writes fail) stops writing; the other replica takes over', async () => {
    const survivors = alive();
    expect(survivors).toHaveLength(2);
    const leader = await soleLeader(survivors);
    const other = survivors.find((r) => r !== leader) as Replica;
    api.partition(leader.id);
    await until(
      async () => ((await debugState(leader)).leader.leading ? undefined : true),
      20_000,
      'the partitioned leader stepping down',
    );
    const steppedDownAt = api.writes.length;
    // A change every replica reads: only the new leader may write for it.
    api.apply(split(10, 2));
    await allSeeGeneration(survivors, 2);
    await until(
      async () =>
        statusWrites().some((w) => w.client === other.id && w.path.endsWith('/status')) ? true : undefined,
      20_000,
      'the other replica writing status',
    );
    const after = api.writes.slice(steppedDownAt).filter((w) => w.client === leader.id && w.method !== 'PUT');
    expect(after).toEqual([]);
    expect((await debugState(other)).leader.leading).toBe(true);
  }, 60_000);
});
