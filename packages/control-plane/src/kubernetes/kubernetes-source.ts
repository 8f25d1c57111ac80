/**
 * The Kubernetes source: client-node informers for Namespaces, Pods, Services, EndpointSlices
 * and, when their CRDs are served, TrafficSplit, HTTPRoute, TrafficPolicy and
 * AuthorizationPolicy. Ready once every informer delivered its first list.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import {
  type Clock,
  describeError,
  type Logger,
  type Random,
  silentLogger,
  systemClock,
  systemRandom,
  type TimerHandle,
  WeftError,
} from '@weft/core';
import { ControlPlaneMetrics } from '../metrics.js';
import type { ConfigSource, EventSink } from '../sources/config-source.js';
import { InformerRunner, type ScheduledRetry } from './informer-runner.js';
import { KubeApiError, kubeRequest } from './kube-client.js';
import { selectedPath, WATCHED_KINDS, type WatchedKind } from './watched-kinds.js';

export interface KubernetesSourceOptions {
  readonly kubeConfig: KubeConfig;
  readonly logger?: Logger;
  readonly metrics?: ControlPlaneMetrics;
  readonly clock?: Clock;
  readonly random?: Random;
  /** How often to look again for CRDs that were not served; default 60 s. */
  readonly probeIntervalMs?: number;
  /** How long the initial sync may take before start fails; default 60 s. */
  readonly syncTimeoutMs?: number;
  readonly baseBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** See InformerRunnerOptions.stripFields (default true). */
  readonly stripFields?: boolean;
}

/** One informer as /debug/state shows it. */
export interface InformerState {
  readonly kind: string;
  readonly synced: boolean;
  /** Restarts after errors so far. */
  readonly restarts: number;
  readonly lastError: string | undefined;
  /** Failed attempts since the API server last answered (0 while it answers). */
  readonly consecutiveFailures: number;
  /** The wait before the latest restart, in ms. */
  readonly lastRetryDelayMs: number | undefined;
  /** The latest restarts scheduled, oldest first. */
  readonly recentRetries: readonly ScheduledRetry[];
}

export class KubernetesSource implements ConfigSource {
  readonly name = 'kubernetes';
  private readonly runners = new Map<string, InformerRunner>();
  private readonly logger: Logger;
  private readonly clock: Clock;
  private probeTimer: TimerHandle | undefined;
  private sink: EventSink | undefined;
  private closed = false;
  private started = false;

  constructor(private readonly options: KubernetesSourceOptions) {
    this.logger = options.logger ?? silentLogger();
    this.clock = options.clock ?? systemClock;
  }

  async start(sink: EventSink): Promise<void> {
    this.sink = sink;
    const server = this.options.kubeConfig.getCurrentCluster()?.server ?? '(no cluster)';
    const missing: WatchedKind[] = [];
    try {
      for (const watched of WATCHED_KINDS) {
        const version = watched.optional ? await this.probe(watched, server) : watched.versions[0];
        if (version === undefined) missing.push(watched);
        else this.run(watched, version);
      }
    } catch (err) {
      await this.close();
      throw err;
    }
    const timeoutMs = this.options.syncTimeoutMs ?? 60_000;
    let timer: TimerHandle | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = this.clock.setTimeout(() => {
        const stuck = [...this.runners.values()].filter((r) => !r.synced);
        const detail = stuck.map((r) => `${r.kind}: ${r.lastError ?? 'no answer'}`).join('; ');
        reject(
          new WeftError(
            'UNAVAILABLE',
            `Kubernetes API ${server}: initial sync did not finish in ${timeoutMs} ms (${detail})`,
          ),
        );
      }, timeoutMs);
    });
    try {
      await Promise.race([Promise.all([...this.runners.values()].map((r) => r.whenSynced())), timeout]);
    } catch (err) {
      await this.close();
      throw err;
    } finally {
      timer?.cancel();
    }
    this.started = true;
    if (missing.length > 0) this.scheduleProbe(missing, server);
  }

  ready(): boolean {
    return this.started && [...this.runners.values()].every((r) => r.synced);
  }

  /** Informer state for /debug/state and tests. */
  informers(): InformerState[] {
    return [...this.runners.values()].map((r) => ({
      kind: r.kind,
      synced: r.synced,
      restarts: r.restarts,
      lastError: r.lastError,
      consecutiveFailures: r.consecutiveFailures,
      lastRetryDelayMs: r.lastRetryDelayMs,
      recentRetries: [...r.recentRetries],
    }));
  }

  debug(): unknown {
    return { informers: this.informers() };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.probeTimer?.cancel();
    for (const r of this.runners.values()) r.stop();
  }

  private run(watched: WatchedKind, version: string): void {
    const runner = new InformerRunner({
      kubeConfig: this.options.kubeConfig,
      watched,
      version,
      onEvents: (events) => {
        if (!this.closed) this.sink?.(events);
      },
      clock: this.clock,
      random: this.options.random ?? systemRandom,
      logger: this.logger,
      metrics: this.options.metrics ?? new ControlPlaneMetrics(),
      ...(this.options.baseBackoffMs === undefined ? {} : { baseBackoffMs: this.options.baseBackoffMs }),
      ...(this.options.maxBackoffMs === undefined ? {} : { maxBackoffMs: this.options.maxBackoffMs }),
      ...(this.options.stripFields === undefined ? {} : { stripFields: this.options.stripFields }),
    });
    this.runners.set(watched.kind, runner);
    runner.start();
  }

  /** The first served version of a CRD-backed kind, or undefined when it is not served (404). */
  private async probe(watched: WatchedKind, server: string): Promise<string | undefined> {
    for (const version of watched.versions) {
      try {
        await kubeRequest(this.options.kubeConfig, {
          method: 'GET',
          path: selectedPath(watched, version, 'limit=1'),
        });
        return version;
      } catch (err) {
        if (err instanceof KubeApiError && err.statusCode === 404) continue;
        if (err instanceof KubeApiError && err.statusCode === 403) {
          this.logger.warn(
            { kind: watched.kind, err: describeError(err) },
            'not allowed to list; is the RBAC installed?',
          );
          return undefined;
        }
        throw new WeftError(
          'UNAVAILABLE',
          `cannot reach the Kubernetes API at ${server}: ${describeError(err)}`,
          { cause: err },
        );
      }
    }
    this.logger.info(
      { kind: watched.kind, group: watched.group },
      'CRD not served; not watching it (looking again later)',
    );
    return undefined;
  }

  private scheduleProbe(missing: WatchedKind[], server: string): void {
    this.probeTimer = this.clock.setTimeout(() => {
      void this.reprobe(missing, server);
    }, this.options.probeIntervalMs ?? 60_000);
  }

  private async reprobe(missing: WatchedKind[], server: string): Promise<void> {
    const still: WatchedKind[] = [];
    for (const watched of missing) {
      if (this.closed) return;
      let version: string | undefined;
      try {
        version = await this.probe(watched, server);
      } catch (err) {
        this.logger.warn({ kind: watched.kind, err: describeError(err) }, 'CRD probe failed');
      }
      if (version === undefined) still.push(watched);
      else if (!this.closed) this.run(watched, version);
    }
    if (still.length > 0 && !this.closed) this.scheduleProbe(still, server);
  }
}
