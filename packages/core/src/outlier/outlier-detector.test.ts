import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { OutlierDetector } from './outlier-detector.js';

function setup(maxEjectionPercent = 50, maxEjectionTimeMs?: number) {
  const clock = new ManualClock();
  const detector = new OutlierDetector(
    {
      consecutiveFailures: 3,
      baseEjectionTimeMs: 1000,
      maxEjectionPercent,
      ...(maxEjectionTimeMs ? { maxEjectionTimeMs } : {}),
    },
    clock,
  );
  return { clock, detector };
}

describe('OutlierDetector', () => {
  it('ejects only after consecutive failures; a success resets the count', () => {
    const { detector } = setup();
    detector.record('a', 'failure', 4);
    detector.record('a', 'failure', 4);
    detector.record('a', 'success', 4);
    detector.record('a', 'failure', 4);
    expect(detector.record('a', 'failure', 4)).toEqual({ type: 'none' });
    expect(detector.record('a', 'failure', 4)).toMatchObject({ type: 'ejected', key: 'a', ejections: 1 });
    expect(detector.isEjected('a')).toBe(true);
  });

  it('doubles the ejection after each failed probe, up to the maximum, and resets after a good probe', () => {
    const { clock, detector } = setup(50, 5000);
    const durations: number[] = [];
    for (let i = 0; i < 5; i++) {
      const times = i === 0 ? 3 : 1;
      let event = detector.record('a', 'failure', 4);
      for (let j = 1; j < times; j++) event = detector.record('a', 'failure', 4);
      if (event.type !== 'ejected') throw new Error(`not ejected: ${event.type}`);
      durations.push(event.untilMs - clock.monotonic());
      clock.advance(event.untilMs - clock.monotonic());
      expect(detector.isEjected('a')).toBe(false);
    }
    expect(durations).toEqual([1000, 2000, 4000, 5000, 5000]);
    detector.record('a', 'success', 4);
    detector.record('a', 'failure', 4);
    expect(detector.isEjected('a')).toBe(false); // back to needing 3 in a row
  });

  it('ignores late results for an endpoint while it is ejected', () => {
    const { detector } = setup();
    for (let i = 0; i < 3; i++) detector.record('a', 'failure', 4);
    const version = detector.version;
    expect(detector.record('a', 'failure', 4)).toEqual({ type: 'none' });
    expect(detector.version).toBe(version);
  });

  it('never ejects more than the percentage (rounded down), none at 0%', () => {
    const { detector } = setup(25);
    for (const k of ['a', 'b']) for (let i = 0; i < 3; i++) detector.record(k, 'failure', 8);
    expect(detector.ejectedCount()).toBe(2);
    for (let i = 0; i < 3; i++) detector.record('c', 'failure', 8);
    expect(detector.ejectedCount()).toBe(2);
    expect(detector.ejectionsSkipped).toBe(1);

    const single = setup(50).detector; // 50% of one endpoint is none
    for (let i = 0; i < 10; i++) single.record('only', 'failure', 1);
    expect(single.ejectedCount()).toBe(0);

    const zero = setup(0).detector;
    for (let i = 0; i < 10; i++) zero.record('a', 'failure', 3);
    expect(zero.ejectedCount()).toBe(0);
  });

  it('reports the next expiry and forgets removed endpoints', () => {
    const { detector } = setup();
    for (let i = 0; i < 3; i++) detector.record('a', 'failure', 4);
    expect(detector.nextExpiry()).toBe(1000);
    detector.retain(new Set(['b']));
    expect(detector.isEjected('a')).toBe(false);
    expect(detector.nextExpiry()).toBe(Number.POSITIVE_INFINITY);
  });

  it('rejects invalid settings with the field name', () => {
    expect(
      () =>
        new OutlierDetector(
          { consecutiveFailures: 0, baseEjectionTimeMs: 1, maxEjectionPercent: 1 },
          new ManualClock(),
        ),
    ).toThrow(/outlierDetection\.consecutiveFailures/);
    expect(
      () =>
        new OutlierDetector(
          { consecutiveFailures: 1, baseEjectionTimeMs: 1, maxEjectionPercent: 101 },
          new ManualClock(),
        ),
    ).toThrow(/outlierDetection\.maxEjectionPercent/);
  });
});
