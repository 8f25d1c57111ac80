/**
 * Gives memory back after a connection storm. V8 runs no major GC while a process sits idle,
 * so after thousands of connections close their garbage (and the RSS it pins) can stay for
 * good. When the open-connection count falls to a quarter of a large peak, one full GC is
 * requested (debounced, off the hot path).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Who calls: the sidecar, on every accepted and closed client connection. */
export interface ReclaimOptions {
  /** Peaks smaller than this never trigger a GC. */
  readonly minPeak: number;
  /** Delay after the fall before the GC runs (further closes push it back). */
  readonly delayMs: number;
  /** The full-GC function; undefined disables reclaiming. */
  readonly gc: (() => void) | undefined;
  /** Called after each requested GC (metrics). */
  readonly onReclaim?: () => void;
}

type GcFunction = (options?: { type: 'major'; flavor: 'last-resort' }) => void;

/**
 * A synchronous full GC, then a memory-reducing one that compacts and gives pages back:
 * `globalThis.gc` under --expose-gc, else one obtained from V8 at runtime.
 */
export function fullGc(): (() => void) | undefined {
  let gc = (globalThis as { gc?: GcFunction }).gc;
  if (typeof gc !== 'function') {
    try {
      setFlagsFromString('--expose-gc');
      const fn = runInNewContext('gc') as unknown;
      if (typeof fn === 'function') gc = fn as GcFunction;
    } catch {
      return undefined;
    }
  }
  if (gc === undefined) return undefined;
  const run = gc;
  return () => {
    run();
    run({ type: 'major', flavor: 'last-resort' });
  };
}

export class MemoryReclaimer {
  private peak = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ReclaimOptions) {}

  /** A connection opened; `open` is the count now. */
  opened(open: number): void {
    if (open > this.peak) this.peak = open;
  }

  /** A connection closed; `open` is the count now. */
  closed(open: number): void {
    const o = this.options;
    if (o.gc === undefined || this.peak < o.minPeak || open > this.peak / 4) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.reclaim(), o.delayMs);
    this.timer.unref();
  }

  private reclaim(): void {
    this.timer = undefined;
    this.peak = 0;
    this.options.gc?.();
    this.options.onReclaim?.();
  }

  close(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
