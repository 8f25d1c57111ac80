/** Injected time: every component that reads the time or sets a timer takes a Clock. */

/** A source of time and timers. Tests inject a manual clock; production uses `systemClock`. */
export interface Clock {
  /** Milliseconds since the Unix epoch (wall time; used for certificate validity). */
  now(): number;
  /** A monotonic reading in milliseconds (for durations and latency). */
  monotonic(): number;
  /** Runs `fn` after `ms`; the returned handle cancels it. Timers never keep the process alive. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
}

/** Cancels a timer started by a Clock. */
export interface TimerHandle {
  cancel(): void;
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};

/** A clock that moves only when told to; timers fire in order during `advance`. */
export class ManualClock implements Clock {
  private wall: number;
  private mono = 0;
  private seq = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();

  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.wall = startMs;
  }

  now(): number {
    return this.wall;
  }

  monotonic(): number {
    return this.mono;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = ++this.seq;
    this.timers.set(id, { at: this.mono + Math.max(0, ms), fn });
    return { cancel: () => this.timers.delete(id) };
  }

  /** Number of timers waiting to fire. */
  get pending(): number {
    return this.timers.size;
  }

  /** Moves time forward by `ms`, firing due timers in deadline order. */
  advance(ms: number): void {
    const target = this.mono + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.timers) {
        if (entry[1].at <= target && (next === undefined || entry[1].at < next[1].at)) next = entry;
      }
      if (next === undefined) break;
      this.timers.delete(next[0]);
      this.wall += next[1].at - this.mono;
      this.mono = next[1].at;
      next[1].fn();
    }
    this.wall += target - this.mono;
    this.mono = target;
  }
}
