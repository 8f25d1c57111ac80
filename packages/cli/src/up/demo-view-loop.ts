/**
 * The refresh loop of the demo's live view: each second it gathers the proxies' metrics and the
 * control plane's state, keeps the scrapes of the last window, and prints the view — redrawn in
 * place on a terminal, as a plain block every few seconds otherwise, or as one JSON object.
 */

import { describeError } from '@weft/core';
import type { Logger } from '@weft/runtime';
import { rejectedFromDebugState } from '../check/rejected.js';
import type { ProxyScrape } from '../stat/golden.js';
import { controlPlaneAdminSource } from '../stat/sources.js';
import { probeCollector } from './collector-probe.js';
import type { LoadGenerator } from './load.js';
import { percentile, type SlidingWindow } from './sliding-window.js';
import { renderView } from './view.js';
import { viewRows } from './view-rows.js';

export interface ViewLoopOptions {
  readonly adminUrl: string;
  readonly namespace: string;
  readonly load: LoadGenerator;
  /** Each app's handling times, by replica (service account). */
  readonly latencies: ReadonlyMap<string, SlidingWindow<number>>;
  readonly windowMs: number;
  readonly mode: 'tty' | 'plain' | 'json';
  /** Plain mode prints a block every this many refreshes. */
  readonly plainEvery?: number;
  readonly otlp?: string;
  readonly notes: readonly string[];
  readonly pids: () => number[];
  readonly write: (text: string) => void;
  readonly log: Logger;
}

/** Starts refreshing every second; returns the stop function. */
export function startViewLoop(o: ViewLoopOptions): () => void {
  const source = controlPlaneAdminSource(o.adminUrl);
  const started = Date.now();
  const history: { at: number; scrapes: ProxyScrape[] }[] = [];
  let collectorProblem: string | undefined;
  let busy = false;
  let tick = 0;
  const refresh = async () => {
    const [scrapes, state, collector] = await Promise.all([
      source.gather().then(
        (s) => ({ ok: true as const, s }),
        (err: unknown) => ({ ok: false as const, error: describeError(err) }),
      ),
      fetch(new URL('/debug/state', o.adminUrl), { signal: AbortSignal.timeout(5000) })
        .then((r) => r.json() as Promise<unknown>)
        .catch(() => undefined),
      o.otlp === undefined ? undefined : probeCollector(o.otlp),
    ]);
    collectorProblem = collector;
    const now = Date.now();
    if (scrapes.ok) history.push({ at: now, scrapes: scrapes.s });
    while (history.length > 1 && (history[0]?.at ?? now) < now - o.windowMs) history.shift();
    const newest = history.at(-1)?.scrapes ?? [];
    const oldest = history.length > 1 ? history[0]?.scrapes : undefined;
    const latencies = new Map<string, number[]>();
    for (const [name, w] of o.latencies) latencies.set(name, w.values());
    const { rows, warnings } = viewRows({
      namespace: o.namespace,
      debugState: state,
      now: newest,
      before: oldest,
      latencies,
      hide: new Set(['loadgen']),
    });
    const load = o.load.recent();
    const rejected = state === undefined ? [] : rejectedFromDebugState(state).errors;
    const allWarnings = [...warnings];
    if (!scrapes.ok) allWarnings.push(`metrics unavailable: ${scrapes.error}`);
    if (o.otlp !== undefined && collectorProblem !== undefined)
      allWarnings.push(
        `trace collector ${o.otlp} cannot be reached (${collectorProblem}): spans are dropped`,
      );
    const client = {
      ok: load.ok,
      failed: load.failed,
      p50Ms: percentile(load.latenciesMs, 50),
      p99Ms: percentile(load.latenciesMs, 99),
    };
    const uptimeSeconds = (now - started) / 1000;
    if (o.mode === 'json') {
      o.write(
        `${JSON.stringify({
          event: 'stats',
          uptimeSeconds,
          windowSeconds: o.windowMs / 1000,
          replicas: rows,
          warnings: allWarnings,
          split: Object.fromEntries(load.byVersion),
          splitSinceStart: Object.fromEntries(o.load.totalByVersion()),
          load: client,
          rejected,
          pids: o.pids(),
        })}\n`,
      );
      return;
    }
    const text = renderView({
      uptimeSeconds,
      windowSeconds: o.windowMs / 1000,
      rows,
      warnings: allWarnings,
      split: load.byVersion,
      client,
      rejected,
      notes: o.notes,
    });
    if (o.mode === 'tty') o.write(`\x1b[2J\x1b[H${text}\n`);
    else if (tick % (o.plainEvery ?? 5) === 0) o.write(`${text}\n\n`);
  };
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    tick++;
    refresh()
      .catch((err: unknown) => o.log.warn({ err: describeError(err) }, 'could not refresh the view'))
      .finally(() => {
        busy = false;
      });
  }, 1000);
  timer.unref();
  return () => clearInterval(timer);
}
