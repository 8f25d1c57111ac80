/** Namespaces from a client-node informer cache (a namespaceSelector cannot match annotations). */

import { CoreV1Api, KubeConfig, makeInformer, type V1Namespace } from '@kubernetes/client-node';
import { type Clock, describeError, jitter, type Random, systemRandom, type TimerHandle } from '@weft/core';
import type { Logger } from '@weft/runtime';
import type { InjectorMetrics } from './metrics.js';
import type { NamespaceLookup, NamespaceLookupResult } from './review-handler.js';

export interface NamespaceCacheOptions {
  readonly kubeConfig: KubeConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: InjectorMetrics;
  readonly random?: Random;
  /** How long a direct read (on a cache miss) may take. Default 2000 ms. */
  readonly readTimeoutMs?: number;
}

const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 30_000;

function toInfo(ns: V1Namespace): NamespaceLookupResult {
  return {
    type: 'found',
    namespace: { name: ns.metadata?.name ?? '', annotations: { ...(ns.metadata?.annotations ?? {}) } },
    source: 'cache',
  };
}

/**
 * Watches all namespaces. A miss (a namespace created a moment ago, or before the first list)
 * falls back to one direct read. The informer stops on any watch error but 410 Gone, so this
 * class restarts it with jittered exponential backoff.
 */
export class NamespaceCache implements NamespaceLookup {
  private readonly informer;
  private readonly api: CoreV1Api;
  private readonly options: NamespaceCacheOptions;
  private failures = 0;
  private timer: TimerHandle | undefined;
  private closed = false;
  private listed = false;

  constructor(options: NamespaceCacheOptions) {
    this.options = options;
    this.api = options.kubeConfig.makeApiClient(CoreV1Api);
    this.informer = makeInformer<V1Namespace>(options.kubeConfig, '/api/v1/namespaces', () =>
      this.api.listNamespace(),
    );
    this.informer.on('error', (err: unknown) => this.restart(err));
    this.informer.on('connect', () => {
      options.logger.debug('namespace informer connecting');
    });
  }

  /** True once a list has succeeded since the last error. */
  get synced(): boolean {
    return this.listed;
  }

  /** Starts the informer; resolves after the first attempt (success or a scheduled retry). */
  async start(): Promise<void> {
    await this.startOnce();
  }

  private async startOnce(): Promise<void> {
    if (this.closed) return;
    const before = this.failures;
    try {
      await this.informer.start();
    } catch (err) {
      this.restart(err);
      return;
    }
    if (this.failures === before && !this.closed) {
      this.listed = true;
      this.failures = 0;
    }
  }

  private restart(err: unknown): void {
    if (this.closed) return;
    this.listed = false;
    this.failures += 1;
    this.options.metrics.informerRestarts.inc();
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.min(this.failures - 1, 16));
    const wait = jitter(delay, 0.2, this.options.random ?? systemRandom);
    this.options.logger.warn(
      { err: describeError(err), retryInMs: Math.round(wait) },
      'namespace informer failed; restarting',
    );
    this.timer?.cancel();
    this.timer = this.options.clock.setTimeout(() => {
      this.timer = undefined;
      void this.startOnce();
    }, wait);
  }

  async get(name: string): Promise<NamespaceLookupResult> {
    const cached = this.informer.get(name);
    if (cached !== undefined) return toInfo(cached);
    return this.read(name);
  }

  private async read(name: string): Promise<NamespaceLookupResult> {
    const timeoutMs = this.options.readTimeoutMs ?? 2000;
    let timer: TimerHandle | undefined;
    const timeout = new Promise<NamespaceLookupResult>((resolve) => {
      timer = this.options.clock.setTimeout(
        () => resolve({ type: 'unknown', message: `reading the namespace timed out after ${timeoutMs} ms` }),
        timeoutMs,
      );
    });
    const read = this.api.readNamespace({ name }).then(
      (ns): NamespaceLookupResult => ({
        ...(toInfo(ns) as Extract<NamespaceLookupResult, { type: 'found' }>),
        source: 'api',
      }),
      (err: unknown): NamespaceLookupResult => {
        const code = (err as { code?: unknown }).code;
        return { type: 'unknown', message: code === 404 ? 'not found' : describeError(err) };
      },
    );
    try {
      return await Promise.race([read, timeout]);
    } finally {
      timer?.cancel();
    }
  }

  /** Stops the informer and any pending restart. */
  async close(): Promise<void> {
    this.closed = true;
    this.timer?.cancel();
    await this.informer.stop();
  }
}

/** Where the injector finds its API server: a kubeconfig file, the pod's service account, or the usual lookup. */
export function loadKubeConfig(source: { kubeconfig?: string; inCluster?: boolean }): KubeConfig {
  const kc = new KubeConfig();
  if (source.inCluster === true) kc.loadFromCluster();
  else if (source.kubeconfig !== undefined) kc.loadFromFile(source.kubeconfig);
  else kc.loadFromDefault();
  return kc;
}
