/** A steady request loop for the demo: fixed rate, bounded concurrency, outcomes over a sliding window. */
import type { Clock } from '@weft/core';
import { get } from './demo-apps.js';
import { SlidingWindow } from './sliding-window.js';

/** What the load generator saw in the window. */
export interface LoadWindow {
  ok: number;
  failed: number;
  /** Responses by the api version that served them (api-v1 / api-v2), read from the body. */
  byVersion: Map<string, number>;
  latenciesMs: number[];
}

interface Outcome {
  readonly ok: boolean;
  readonly latencyMs: number | undefined;
  readonly version: string | undefined;
}

/** Outcomes kept per window at most (20 requests/s for 10 s is 200; the cap bounds 1000/s). */
const MAX_OUTCOMES = 20_000;

export interface LoadOptions {
  host: string;
  port: number;
  path: string;
  ratePerSecond: number;
  maxInFlight: number;
  clock: Clock;
  /** The window `recent()` reports on; default 10 s. */
  windowMs?: number;
}

/** Sends `ratePerSecond` GETs until stopped; `take()` returns and resets the current window. */
export class LoadGenerator {
  private readonly outcomes: SlidingWindow<Outcome>;
  private readonly sinceStart = new Map<string, number>();
  private inFlight = 0;
  private stopped = false;
  private timer: { cancel(): void } | undefined;

  constructor(private readonly options: LoadOptions) {
    this.outcomes = new SlidingWindow(options.windowMs ?? 10_000, MAX_OUTCOMES, () =>
      options.clock.monotonic(),
    );
  }

  start(): void {
    const interval = 1000 / this.options.ratePerSecond;
    const tick = () => {
      if (this.stopped) return;
      this.fire();
      this.timer = this.options.clock.setTimeout(tick, interval);
    };
    tick();
  }

  /** Responses by api version since the start (for JSON consumers that want more than a window). */
  totalByVersion(): ReadonlyMap<string, number> {
    return this.sinceStart;
  }

  /** What happened in the window (the last 10 s by default). */
  recent(): LoadWindow {
    const w: LoadWindow = { ok: 0, failed: 0, byVersion: new Map(), latenciesMs: [] };
    for (const o of this.outcomes.values()) {
      if (o.ok) w.ok++;
      else w.failed++;
      if (o.latencyMs !== undefined) w.latenciesMs.push(o.latencyMs);
      if (o.version !== undefined) w.byVersion.set(o.version, (w.byVersion.get(o.version) ?? 0) + 1);
    }
    return w;
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
  }

  private fire(): void {
    if (this.inFlight >= this.options.maxInFlight) {
      this.outcomes.add({ ok: false, latencyMs: undefined, version: undefined });
      return;
    }
    const { host, port, path, clock } = this.options;
    const started = clock.monotonic();
    this.inFlight++;
    get(host, port, path).then(
      (res) => {
        this.inFlight--;
        const ok = res.status === 200;
        const version = ok ? apiVersionOf(res.body) : undefined;
        if (version !== undefined) this.sinceStart.set(version, (this.sinceStart.get(version) ?? 0) + 1);
        this.outcomes.add({ ok, latencyMs: clock.monotonic() - started, version });
      },
      () => {
        this.inFlight--;
        this.outcomes.add({ ok: false, latencyMs: undefined, version: undefined });
      },
    );
  }
}

/** Reads which api version served a web response: `{upstream: {served_by: "api-v1"}}`. */
export function apiVersionOf(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { upstream?: { served_by?: unknown } };
    const by = parsed.upstream?.served_by;
    return typeof by === 'string' ? by : undefined;
  } catch {
    return undefined;
  }
}
