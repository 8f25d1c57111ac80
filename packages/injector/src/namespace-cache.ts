/** Namespaces from a client-node informer cache (a namespaceSelector cannot match annotations). */
import { CoreV1Api, KubeConfig, type V1Namespace } from '@kubernetes/client-node';
import { type Clock, describeError, type Random, systemRandom, type TimerHandle } from '@weft/core';
import type { Logger } from '@weft/runtime';
import { RestartableInformer } from '@weft/runtime/informer';
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

/** Restart backoff of the namespace informer: from 500 ms, doubling up to 30 s (full jitter). */
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
 * falls back to one direct read. The informer is runtime's RestartableInformer: it restarts
 * after every watch error with backoff.
 */
export class NamespaceCache implements NamespaceLookup {
  private readonly informer: RestartableInformer<V1Namespace>;
  private readonly api: CoreV1Api;
  private readonly options: NamespaceCacheOptions;

  constructor(options: NamespaceCacheOptions) {
    this.options = options;
    this.api = options.kubeConfig.makeApiClient(CoreV1Api);
    this.informer = new RestartableInformer<V1Namespace>({
      path: '/api/v1/namespaces',
      list: () => this.api.listNamespace(),
      kubeConfig: options.kubeConfig,
      clock: options.clock,
      random: options.random ?? systemRandom,
      logger: options.logger.child({ informer: 'namespaces' }),
      baseBackoffMs: BACKOFF_BASE_MS,
      maxBackoffMs: BACKOFF_MAX_MS,
      onRestartScheduled: () => options.metrics.informerRestarts.inc(),
    });
  }

  /** True once a list has succeeded and the API server has answered since the last error. */
  get synced(): boolean {
    return this.informer.synced && this.informer.connected;
  }

  /** Starts the informer; resolves after the first attempt (success or a scheduled retry). */
  async start(): Promise<void> {
    await this.informer.start();
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
