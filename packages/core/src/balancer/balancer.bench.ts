/** Endpoint picking with 1,000 endpoints: pick + start + end per decision, 1,000 decisions per iteration. */
import { bench, describe } from 'vitest';
import { ManualClock } from '../clock.js';
import { OutlierDetector } from '../outlier/outlier-detector.js';
import { seededRandom } from '../random.js';
import { WeightedChoice } from '../split/weighted-choice.js';
import { Balancer, type BalancerAlgorithm } from './balancer.js';
import { EndpointLoad } from './endpoint-load.js';

const BATCH = 1000;
const N = 1000;

function balancer(algorithm: BalancerAlgorithm, weighted: boolean): Balancer<number> {
  const clock = new ManualClock();
  const b = new Balancer<number>({
    algorithm,
    clock,
    random: seededRandom(1),
    outlierDetector: new OutlierDetector(
      { consecutiveFailures: 5, baseEjectionTimeMs: 30_000, maxEjectionPercent: 50 },
      clock,
    ),
  });
  b.update(
    Array.from({ length: N }, (_, i) => ({
      key: `10.0.${i >> 8}.${i & 255}:8080`,
      value: i,
      weight: weighted ? 1 + (i % 4) : 1,
    })),
  );
  return b;
}

function run(b: Balancer<number>): void {
  for (let i = 0; i < BATCH; i++) {
    const r = b.pick();
    if (r.type === 'pick') b.start(r.endpoint).end('success');
  }
}

describe(`endpoint picking, ${N} endpoints (x${BATCH} picks)`, () => {
  for (const algorithm of ['PeakEWMA', 'LeastRequest', 'RoundRobin'] as const) {
    const equal = balancer(algorithm, false);
    const weighted = balancer(algorithm, true);
    bench(`${algorithm}, equal weights`, () => run(equal));
    bench(`${algorithm}, weights 1-4`, () => run(weighted));
  }

  // The alternative: a full scan for the least-loaded endpoint (exact, O(n)).
  const clock = new ManualClock();
  const loads = Array.from({ length: N }, () => new EndpointLoad(clock));
  bench('full scan for the lowest peak-EWMA cost', () => {
    for (let i = 0; i < BATCH; i++) {
      let best = loads[0] as EndpointLoad;
      let bestCost = best.cost();
      for (const l of loads) {
        const c = l.cost();
        if (c < bestCost) {
          best = l;
          bestCost = c;
        }
      }
      best.finish(best.start(), 'success');
    }
  });
});

describe(`traffic split (x${BATCH} picks)`, () => {
  const random = seededRandom(3);
  const split = new WeightedChoice([
    { value: 'v1', weight: 90 },
    { value: 'v2', weight: 10 },
  ]);
  bench('WeightedChoice, 90/10', () => {
    for (let i = 0; i < BATCH; i++) split.pick(random);
  });
});
