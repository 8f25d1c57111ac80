import { ManualClock } from '@weft/core';
import { describe, expect, it } from 'vitest';
import { CertifyPacer } from './certify-pacer.js';

describe('CertifyPacer', () => {
  it('admits one request per interval, making later ones wait for their slot', async () => {
    const clock = new ManualClock();
    const pacer = new CertifyPacer({ perSecond: 10, burst: 1, maxWaitMs: 250 }, clock);
    const admitted: number[] = [];
    const all = [0, 1, 2].map((i) =>
      pacer.admit().then((ok) => {
        if (ok) admitted.push(i);
        return ok;
      }),
    );
    await Promise.resolve();
    expect(admitted).toEqual([0]);
    clock.advance(100);
    await Promise.resolve();
    expect(admitted).toEqual([0, 1]);
    clock.advance(100);
    expect(await Promise.all(all)).toEqual([true, true, true]);
    expect(admitted).toEqual([0, 1, 2]);
  });

  it('refuses at once a request whose slot is further away than maxWaitMs', async () => {
    const clock = new ManualClock();
    const pacer = new CertifyPacer({ perSecond: 10, burst: 1, maxWaitMs: 250 }, clock);
    const waits = [pacer.admit(), pacer.admit(), pacer.admit(), pacer.admit()]; // slots 0, 100, 200, 300 ms
    expect(await pacer.admit()).toBe(false); // slot 400 ms > 250 ms away
    expect(await waits[3]).toBe(false);
    clock.advance(300);
    expect(await Promise.all(waits.slice(0, 3))).toEqual([true, true, true]);
    // The refused requests took no slot: the next free one is 300 ms, i.e. now.
    expect(await pacer.admit()).toBe(true);
  });

  it('admits a burst at once, then paces', async () => {
    const clock = new ManualClock();
    const pacer = new CertifyPacer({ perSecond: 10, burst: 3, maxWaitMs: 0 }, clock);
    expect(await Promise.all([pacer.admit(), pacer.admit(), pacer.admit()])).toEqual([true, true, true]);
    expect(await pacer.admit()).toBe(false);
    clock.advance(100);
    expect(await pacer.admit()).toBe(true);
    expect(await pacer.admit()).toBe(false);
  });

  it('does not bank unused time beyond the burst', async () => {
    const clock = new ManualClock();
    const pacer = new CertifyPacer({ perSecond: 10, burst: 1, maxWaitMs: 0 }, clock);
    clock.advance(10_000);
    expect(await pacer.admit()).toBe(true);
    expect(await pacer.admit()).toBe(false);
  });

  it('rejects nonsense options', () => {
    expect(() => new CertifyPacer({ perSecond: 0, burst: 1, maxWaitMs: 1 }, new ManualClock())).toThrow(
      RangeError,
    );
    expect(() => new CertifyPacer({ perSecond: 1, burst: 0, maxWaitMs: 1 }, new ManualClock())).toThrow(
      RangeError,
    );
  });
});
