import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadMallocTrim } from './malloc-trim.js';
import { fullGc, MemoryReclaimer } from './memory-reclaim.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('MemoryReclaimer', () => {
  it('requests one GC after a large peak falls to a quarter, debounced', () => {
    vi.useFakeTimers();
    const gc = vi.fn();
    const r = new MemoryReclaimer({ minPeak: 100, delayMs: 1000, gc });
    for (let i = 1; i <= 200; i++) r.opened(i);
    for (let open = 199; open >= 0; open--) r.closed(open);
    vi.advanceTimersByTime(999);
    expect(gc).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(gc).toHaveBeenCalledTimes(1);
    // The peak was reset: closing more of a small load triggers nothing.
    r.opened(10);
    r.closed(0);
    vi.advanceTimersByTime(5000);
    expect(gc).toHaveBeenCalledTimes(1);
  });

  it('ignores small peaks and a count still above a quarter of the peak', () => {
    vi.useFakeTimers();
    const gc = vi.fn();
    const r = new MemoryReclaimer({ minPeak: 100, delayMs: 10, gc });
    r.opened(99);
    r.closed(0);
    r.opened(400);
    r.closed(101);
    vi.advanceTimersByTime(100);
    expect(gc).not.toHaveBeenCalled();
  });

  it('finds a working full GC in this process', () => {
    const gc = fullGc();
    expect(typeof gc).toBe('function');
    gc!();
  });

  it('trims the C heap once after the GC, and runs without a trim function', () => {
    const trim = vi.fn(() => true);
    fullGc(trim)!();
    expect(trim).toHaveBeenCalledTimes(1);
    fullGc(undefined)!();
  });
});

describe('loadMallocTrim', () => {
  it('is the native malloc_trim where the addon is built (npm test builds it), and callable', () => {
    const trim = loadMallocTrim();
    if (process.platform !== 'linux') {
      expect(trim).toBeUndefined();
      return;
    }
    expect(typeof trim).toBe('function');
    expect(typeof trim!()).toBe('boolean');
    // Cached: the same function on every call.
    expect(loadMallocTrim()).toBe(trim);
  });
});
