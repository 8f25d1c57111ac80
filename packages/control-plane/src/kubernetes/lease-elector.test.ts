// Leader election against the fake API server's Leases (real wire format, resourceVersion
// conflicts): one leader, hand-over on release, and a partitioned leader stepping down.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeKubeApi } from '../test-support/fake-kube-api.js';
import { LeaseElector } from './lease-elector.js';

let api: FakeKubeApi;
let electors: LeaseElector[] = [];

beforeEach(async () => {
  api = new FakeKubeApi();
  await api.listen();
});

afterEach(async () => {
  await Promise.all(electors.splice(0).map((e) => e.close()));
  await api.close();
});

/** Polls `check` every 20 ms until it holds, failing after `ms`. */
async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function elector(identity: string, errors: string[] = []): LeaseElector {
  const e = new LeaseElector({
    kubeConfig: api.kubeConfig(identity),
    namespace: 'weft-system',
    name: 'weft-control-plane',
    identity,
    leaseDurationMs: 1500,
    onError: (reason) => errors.push(reason),
  });
  electors.push(e);
  return e;
}

const leaders = () => electors.filter((e) => e.isLeader()).map((e) => e.observation().identity);
const lease = () =>
  api.get('coordination.k8s.io/v1', 'Lease', 'weft-system', 'weft-control-plane') as
    | { spec: { holderIdentity: string; renewTime: string; leaseTransitions: number } }
    | undefined;

describe('LeaseElector', () => {
  it('elects exactly one of three replicas and names it in the Lease', async () => {
    const all = ['a', 'b', 'c'].map((id) => elector(id));
    for (const e of all) e.start();
    await until(() => leaders().length === 1, 5000, 'a leader');
    const [leader] = leaders();
    expect(lease()?.spec.holderIdentity).toBe(leader);
    // renewTime in the API server's MicroTime format (microseconds).
    expect(lease()?.spec.renewTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    // The leader keeps renewing: the Lease changes while it stays the only leader.
    const before = lease()?.spec.renewTime;
    await until(() => lease()?.spec.renewTime !== before, 3000, 'a renewal');
    expect(leaders()).toEqual([leader]);
    await until(() => all.every((e) => e.observation().holder === leader), 3000, 'every replica seeing it');
    expect(leaders()).toEqual([leader]);
  });

  it('hands over at once when the leader releases the Lease on close', async () => {
    const all = ['a', 'b'].map((id) => elector(id));
    for (const e of all) e.start();
    await until(() => leaders().length === 1, 5000, 'a leader');
    const first = all.find((e) => e.isLeader()) as LeaseElector;
    const changes: boolean[] = [];
    first.onChange((leading) => changes.push(leading));
    await first.close();
    electors = electors.filter((e) => e !== first);
    expect(changes).toEqual([false]);
    await until(() => leaders().length === 1, 5000, 'the other replica leading');
    expect(lease()?.spec.holderIdentity).not.toBe(first.observation().identity);
    expect(lease()?.spec.leaseTransitions).toBe(0);
  });

  it('a leader whose writes fail steps down by its renew deadline; another takes over', async () => {
    const errors: string[] = [];
    const a = elector('a', errors);
    a.start();
    await until(() => a.isLeader(), 5000, 'a leading');
    const b = elector('b');
    b.start();
    await until(() => b.observation().holder === 'a', 5000, 'b seeing a');
    api.partition('a');
    await until(() => !a.isLeader(), 5000, 'a stepping down');
    expect(errors).toContain('http-503');
    await until(() => b.isLeader(), 5000, 'b leading');
    expect(lease()?.spec.holderIdentity).toBe('b');
    expect(lease()?.spec.leaseTransitions).toBe(1);
    // Healed, the old leader sees b holding the Lease and stays a follower.
    api.heal('a');
    await until(() => a.observation().holder === 'b', 5000, 'a seeing b');
    expect(leaders()).toEqual(['b']);
  });

  it('refuses timings where the renew deadline is not shorter than the takeover wait', () => {
    expect(
      () =>
        new LeaseElector({
          kubeConfig: api.kubeConfig(),
          namespace: 'n',
          name: 'l',
          identity: 'x',
          leaseDurationMs: 1500,
          renewDeadlineMs: 1100,
        }),
    ).toThrow(
      /renew deadline \(1100 ms\) < takeover wait \(lease duration 1500 ms less 2.4 retry periods = 1020 ms\)/,
    );
  });
});
