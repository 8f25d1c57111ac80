/** Retries avoid the endpoints a request already failed on (ejected ones included), and connect failures count at once. */
import { describe, expect, it } from 'vitest';
import { Balancer, type BalancerAlgorithm } from '../balancer/balancer.js';
import { ManualClock } from '../clock.js';
import { OutlierDetector } from '../outlier/outlier-detector.js';
import { seededRandom } from '../random.js';
import { RetryBudget } from './retry-budget.js';
import { attemptResultOf, runWithRetries } from './retry-loop.js';
import { type AttemptOutcome, compileRetryPolicy } from './retry-policy.js';

const ALGORITHMS: BalancerAlgorithm[] = ['PeakEWMA', 'RoundRobin', 'LeastRequest'];
const OK: AttemptOutcome = { type: 'response', status: 200 };
const DOWN: AttemptOutcome = { type: 'response', status: 503 };

function setup(algorithm: BalancerAlgorithm, maxEjectionPercent = 50) {
  const clock = new ManualClock();
  const random = seededRandom(11);
  const detector = new OutlierDetector(
    { consecutiveFailures: 5, baseEjectionTimeMs: 30_000, maxEjectionPercent },
    clock,
  );
  const balancer = new Balancer<string>({ algorithm, clock, random, outlierDetector: detector });
  balancer.update([
    { key: 'a', value: 'a' },
    { key: 'b', value: 'b' },
  ]);
  const policy = compileRetryPolicy({
    attempts: 3,
    on: ['connect-failure', 'reset', '5xx'],
    backoff: { baseMs: 10, maxMs: 50 },
    budget: { ratio: 1, minPerSecond: 1000, ttlMs: 10_000 },
    nonIdempotent: false,
  });
  const budget = new RetryBudget(policy.budget, clock);
  /** One request; `answer` says how the endpoint with that key answers. Returns the keys tried. */
  async function request(answer: (key: string) => AttemptOutcome) {
    const tried: string[] = [];
    const r = await runWithRetries<string, string>({
      balancer,
      policy,
      budget,
      clock,
      random,
      method: 'GET',
      body: () => ({ bytes: 0, replayable: true }),
      send: async (endpoint) => {
        tried.push(endpoint.key);
        clock.advance(1);
        const outcome = answer(endpoint.key);
        return { outcome, sent: outcome.type !== 'connect-failure', value: endpoint.key };
      },
      discard: () => {},
      sleep: async (ms) => clock.advance(ms),
    });
    const ok = r.type === 'response' && r.last.outcome.type === 'response' && r.last.outcome.status === 200;
    return { ok, tried };
  }
  /** Ejects `key`: 5 failed attempts on it through the balancer. */
  async function eject(key: string) {
    for (let i = 0; i < 5; i++) {
      const r = balancer.pick(new Set(['a', 'b'].filter((k) => k !== key)));
      if (r.type !== 'pick' || r.endpoint.key !== key) throw new Error(`could not pick ${key}`);
      balancer.start(r.endpoint).end('failure');
    }
    expect(detector.isEjected(key)).toBe(true);
  }
  return { clock, detector, balancer, request, eject };
}

describe.each(ALGORITHMS)('retries avoid endpoints already tried (%s)', (algorithm) => {
  it('the only endpoint in rotation dies while the other is ejected: the retry goes to the ejected one', async () => {
    const h = setup(algorithm);
    await h.eject('a'); // a restarted meanwhile: it serves again, but is still ejected
    // b dies. Every request fails on b first (b is all the picker holds), then retries on a.
    for (let i = 0; i < 50; i++) {
      const r = await h.request((k) => (k === 'b' ? DOWN : OK));
      expect(r.ok).toBe(true);
      expect(new Set(r.tried).size).toBe(r.tried.length); // never the same endpoint twice
    }
    // a's success while ejected reinstated it.
    expect(h.detector.isEjected('a')).toBe(false);
  });

  it('both dead: each attempt of a request goes to an endpoint it has not tried while one is left', async () => {
    const h = setup(algorithm);
    await h.eject('a');
    for (let i = 0; i < 20; i++) {
      const r = await h.request(() => DOWN);
      expect(r.ok).toBe(false);
      expect(r.tried.slice(0, 2).sort()).toEqual(['a', 'b']);
    }
  });

  it('with a 100% ejection cap an ejected endpoint is not retried (that operator chose to fail fast)', async () => {
    const h = setup(algorithm, 100);
    await h.eject('a');
    const r = await h.request((k) => (k === 'b' ? DOWN : OK));
    expect(r.tried.every((k) => k === 'b')).toBe(true);
    expect(r.ok).toBe(false);
  });
});

describe('connect failures count toward outlier detection at once', () => {
  it('a connect failure is "unreachable"; a 5xx, reset or timeout is a failure', () => {
    expect(attemptResultOf({ type: 'connect-failure' })).toBe('unreachable');
    expect(attemptResultOf(DOWN)).toBe('failure');
    expect(attemptResultOf({ type: 'reset' })).toBe('failure');
    expect(attemptResultOf({ type: 'timeout', kind: 'per-try' })).toBe('failure');
    expect(attemptResultOf(OK)).toBe('success');
  });

  it('one refused connection ejects; one 5xx does not', () => {
    const clock = new ManualClock();
    const d = new OutlierDetector(
      { consecutiveFailures: 5, baseEjectionTimeMs: 1000, maxEjectionPercent: 50 },
      clock,
    );
    expect(d.record('x', 'failure', 2)).toEqual({ type: 'none' });
    expect(d.isEjected('x')).toBe(false);
    expect(d.record('y', 'unreachable', 2)).toMatchObject({ type: 'ejected', key: 'y', ejections: 1 });
    // Over the cap (1 of 2): the next unreachable one is marked failing at once.
    expect(d.record('z', 'unreachable', 2)).toMatchObject({ type: 'ejection-skipped', key: 'z' });
    expect(d.isFailing('z')).toBe(true);
  });

  it.each(ALGORITHMS)(
    '%s: a request that meets a refused connection finds the other endpoint, which stays served',
    async (algorithm) => {
      const h = setup(algorithm);
      const refused: AttemptOutcome = { type: 'connect-failure' };
      const first = await h.request((k) => (k === 'b' ? refused : OK));
      expect(first.ok).toBe(true);
      // If b was tried, it is ejected after that single refusal, and later requests go to a only.
      if (first.tried.includes('b')) {
        expect(h.detector.isEjected('b')).toBe(true);
        for (let i = 0; i < 20; i++)
          expect((await h.request((k) => (k === 'b' ? refused : OK))).tried).toEqual(['a']);
      }
    },
  );
});
