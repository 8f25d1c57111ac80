import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { OutlierDetector } from '../outlier/outlier-detector.js';
import { seededRandom } from '../random.js';
import { Balancer, type BalancerAlgorithm } from './balancer.js';

const ALGORITHMS: BalancerAlgorithm[] = ['PeakEWMA', 'RoundRobin', 'LeastRequest'];

function setup(algorithm: BalancerAlgorithm) {
  const clock = new ManualClock();
  const detector = new OutlierDetector(
    { consecutiveFailures: 3, baseEjectionTimeMs: 30_000, maxEjectionPercent: 50 },
    clock,
  );
  const panics: number[] = [];
  const balancer = new Balancer<string>({
    algorithm,
    clock,
    random: seededRandom(7),
    outlierDetector: detector,
    probeIntervalMs: 0,
    onPanic: (n) => panics.push(n),
  });
  balancer.update([
    { key: 'a', value: 'a' },
    { key: 'b', value: 'b' },
  ]);
  return { clock, detector, balancer, panics };
}

/** Records `n` failed attempts on `key` through the balancer. */
function fail(balancer: Balancer<string>, key: string, n: number): void {
  for (let i = 0; i < n; i++) {
    const r = balancer.pick(new Set(['a', 'b'].filter((k) => k !== key)));
    if (r.type !== 'pick' || r.endpoint.key !== key) throw new Error(`could not pick ${key}`);
    balancer.start(r.endpoint).end('failure');
  }
}

/** Sends requests: each attempt on `dead` fails, and a failed attempt is retried once elsewhere. */
function send(
  balancer: Balancer<string>,
  n: number,
  dead: ReadonlySet<string>,
): { ok: number; picks: string[] } {
  let ok = 0;
  const picks: string[] = [];
  for (let i = 0; i < n; i++) {
    const tried = new Set<string>();
    for (let attempt = 0; attempt < 2; attempt++) {
      const r = balancer.pick(tried);
      if (r.type !== 'pick') break;
      picks.push(r.endpoint.key);
      tried.add(r.endpoint.key);
      const failed = dead.has(r.endpoint.key);
      balancer.start(r.endpoint).end(failed ? 'failure' : 'success');
      if (!failed) {
        ok++;
        break;
      }
    }
  }
  return { ok, picks };
}

describe.each(ALGORITHMS)('panic mode (%s)', (algorithm) => {
  it('tries the ejected endpoint when the only non-ejected one dies', () => {
    const { clock, detector, balancer, panics } = setup(algorithm);
    // a fails and is ejected (one of two is the 50% cap).
    fail(balancer, 'a', 3);
    expect(detector.isEjected('a')).toBe(true);
    expect(balancer.panicking).toBe(false);
    // a recovers while still ejected; b dies. The cap keeps b in rotation, failing.
    clock.advance(1000);
    fail(balancer, 'b', 3);
    expect(detector.isEjected('b')).toBe(false);
    expect(detector.isFailing('b')).toBe(true);
    expect(balancer.panicking).toBe(true);
    expect(panics).toEqual([2]);
    // With one retry, every request succeeds: a is tried, succeeds, and is reinstated.
    const { ok } = send(balancer, 100, new Set(['b']));
    expect(ok).toBe(100);
    expect(detector.isEjected('a')).toBe(false);
    expect(balancer.panicking).toBe(false);
  });

  it('leaves panic mode once a non-ejected endpoint succeeds again', () => {
    const { balancer } = setup(algorithm);
    fail(balancer, 'a', 3);
    fail(balancer, 'b', 3);
    expect(balancer.panicking).toBe(true);
    // b comes back; a success on it clears its failing state.
    const { ok } = send(balancer, 50, new Set());
    expect(ok).toBe(50);
    expect(balancer.panicking).toBe(false);
  });

  it('reinstates an ejected endpoint that succeeds in panic mode, then ejects the dead one', () => {
    const { detector, balancer } = setup(algorithm);
    fail(balancer, 'a', 3);
    fail(balancer, 'b', 3);
    expect(balancer.panicking).toBe(true);
    // Without retries: the first success on a ends its ejection; b's next failure ejects b.
    let failures = 0;
    for (let i = 0; i < 50; i++) {
      const r = balancer.pick();
      if (r.type !== 'pick') throw new Error(r.message);
      const failed = r.endpoint.key === 'b';
      if (failed) failures++;
      balancer.start(r.endpoint).end(failed ? 'failure' : 'success');
    }
    expect(detector.isEjected('a')).toBe(false);
    expect(detector.isEjected('b')).toBe(true);
    expect(balancer.panicking).toBe(false);
    expect(failures).toBeLessThanOrEqual(3);
  });

  it('picks the ejected endpoint when the healthy one is removed', () => {
    const { detector, balancer } = setup(algorithm);
    fail(balancer, 'a', 3);
    expect(detector.isEjected('a')).toBe(true);
    balancer.update([{ key: 'a', value: 'a' }]);
    const r = balancer.pick();
    expect(r.type === 'pick' && r.endpoint.key).toBe('a');
  });

  it('stays out of panic mode while a non-ejected endpoint is healthy', () => {
    const { balancer } = setup(algorithm);
    fail(balancer, 'a', 3);
    const { picks } = send(balancer, 50, new Set(['a']));
    expect(balancer.panicking).toBe(false);
    // After the ejection no request reaches a.
    expect(picks.slice(-40).every((k) => k === 'b')).toBe(true);
  });
});
