/** A steady request loop for the demo: fixed rate, bounded concurrency, outcome counts. */
import type { Clock } from '@weft/core';
import { get } from './demo-apps.js';

/** What the load generator saw in one window. */
export interface LoadWindow {
  sent: number;
  ok: number;
  failed: number;
  /** Responses by the api version that served them (api-v1 / api-v2), read from the body. */
  byVersion: Map<string, number>;
  latenciesMs: number[];
}

export interface LoadOptions {
  host: string;
  port: number;
  path: string;
  ratePerSecond: number;
  maxInFlight: number;
  clock: Clock;
}

/** Sends `ratePerSecond` GETs until stopped; `take()` returns and resets the current window. */
export class LoadGenerator {
  private window: LoadWindow = emptyWindow();
  private inFlight = 0;
  private stopped = false;
  private timer: { cancel(): void } | undefined;

  constructor(private readonly options: LoadOptions) {}

  start(): void {
    const interval = 1000 / this.options.ratePerSecond;
    const tick = () => {
      if (this.stopped) return;
      this.fire();
      this.timer = this.options.clock.setTimeout(tick, interval);
    };
    tick();
  }

  take(): LoadWindow {
    const w = this.window;
    this.window = emptyWindow();
    return w;
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
  }

  private fire(): void {
    if (this.inFlight >= this.options.maxInFlight) {
      this.window.sent++;
      this.window.failed++;
      return;
    }
    const { host, port, path, clock } = this.options;
    const started = clock.monotonic();
    this.inFlight++;
    this.window.sent++;
    get(host, port, path).then(
      (res) => {
        this.inFlight--;
        this.window.latenciesMs.push(clock.monotonic() - started);
        if (res.status !== 200) {
          this.window.failed++;
          return;
        }
        this.window.ok++;
        const version = apiVersionOf(res.body);
        if (version !== undefined)
          this.window.byVersion.set(version, (this.window.byVersion.get(version) ?? 0) + 1);
      },
      () => {
        this.inFlight--;
        this.window.failed++;
      },
    );
  }
}

function emptyWindow(): LoadWindow {
  return { sent: 0, ok: 0, failed: 0, byVersion: new Map(), latenciesMs: [] };
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
