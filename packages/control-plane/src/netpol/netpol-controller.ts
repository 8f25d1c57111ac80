/**
 * `weft control-plane --manage-network-policies`: keeps the generated NetworkPolicies in the
 * cluster equal to what `compileNetworkPolicies` says. It creates, updates and deletes only
 * objects labelled `weft.dev/generated=network-policy`; an unlabelled object of the same name is
 * left alone and counted. A reconcile runs when the mesh state changes (the control plane's
 * informers), when an owned NetworkPolicy changes (its own watch), and every resync period;
 * API errors are counted, logged, and retried with backoff. Nothing is deleted before the
 * control plane's sources have synced (`inputs()` returns undefined until then).
 */

import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { type Clock, describeError, type Random, type TimerHandle } from '@weft/core';
import { Backoff, type Logger } from '@weft/runtime';
import { RestartableInformer } from '@weft/runtime/informer';
import { Counter, Gauge, type Registry } from 'prom-client';
import { KubeApiError, kubeRequest } from '../kubernetes/kube-client.js';
import { KubeWatch } from '../kubernetes/kube-watch.js';
import { compileNetworkPolicies, type NetpolInputs } from './compile.js';
import { GENERATED_LABEL, GENERATED_SELECTOR, GENERATED_VALUE } from './labels.js';
import type { NetworkPolicyObject } from './network-policy.js';

const COLLECTION = '/apis/networking.k8s.io/v1/networkpolicies';

/** Backoff of failed reconciles and watch restarts: from 500 ms, doubling up to the max (default 30 s). */
const BASE_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 30_000;

function objectPath(namespace: string, name?: string): string {
  const base = `/apis/networking.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/networkpolicies`;
  return name === undefined ? base : `${base}/${encodeURIComponent(name)}`;
}

export interface NetpolControllerOptions {
  readonly kubeConfig: KubeConfig;
  /** The generator's inputs, or undefined while the control plane's sources have not synced. */
  readonly inputs: () => NetpolInputs | undefined;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly clock: Clock;
  readonly random: Random;
  /** Coalesces bursts of changes into one reconcile (default 250 ms). */
  readonly debounceMs?: number;
  /** A full reconcile at least this often, repairing drift a missed event left (default 60 s). */
  readonly resyncMs?: number;
  /** Backoff after failed reconciles or watches: from 500 ms, doubling, up to this (default 30 s); full jitter. */
  readonly maxBackoffMs?: number;
  readonly requestTimeoutMs?: number;
}

/** What one reconcile did. */
export interface ReconcileOutcome {
  readonly type: 'done' | 'not-synced';
  readonly created: number;
  readonly updated: number;
  readonly deleted: number;
  /** Desired objects whose name an unlabelled NetworkPolicy already holds (left alone). */
  readonly conflicts: number;
  readonly errors: number;
}

interface Existing {
  metadata: {
    name: string;
    namespace: string;
    uid?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: unknown;
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

/** True when the object in the cluster already says what `desired` says (labels, annotations, spec). */
function upToDate(desired: NetworkPolicyObject, existing: Existing): boolean {
  const labels = existing.metadata.labels ?? {};
  const annotations = existing.metadata.annotations ?? {};
  return (
    Object.entries(desired.metadata.labels).every(([k, v]) => labels[k] === v) &&
    canonical(desired.metadata.annotations ?? {}) ===
      canonical(Object.fromEntries(Object.entries(annotations).filter(([k]) => k.startsWith('weft.dev/')))) &&
    canonical(desired.spec) === canonical(existing.spec)
  );
}

export class NetworkPolicyController {
  private readonly writes: Counter<'op' | 'result'>;
  private readonly reconciles: Counter<'result'>;
  private readonly conflictsGauge: Gauge;
  private readonly managed: Gauge;
  private watch: RestartableInformer<KubernetesObject> | undefined;
  private timer: TimerHandle | undefined;
  private resyncTimer: TimerHandle | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private readonly retries: Backoff;
  private closed = false;
  /** Conflicting names already logged (each is logged once, and counted on every reconcile). */
  private readonly reportedConflicts = new Set<string>();
  /** The latest outcome (for tests and /debug/state). */
  last: ReconcileOutcome | undefined;

  constructor(private readonly options: NetpolControllerOptions) {
    const registers = [options.registry];
    this.writes = new Counter({
      name: 'weft_netpol_writes_total',
      help: 'NetworkPolicy writes by the controller, by operation (create, update, delete) and result',
      labelNames: ['op', 'result'] as const,
      registers,
    });
    this.reconciles = new Counter({
      name: 'weft_netpol_reconciles_total',
      help: 'NetworkPolicy reconciles, by result (ok, error, not-synced)',
      labelNames: ['result'] as const,
      registers,
    });
    this.conflictsGauge = new Gauge({
      name: 'weft_netpol_conflicts',
      help: 'Generated NetworkPolicies not written because an object of that name is not owned by weft',
      registers,
    });
    this.managed = new Gauge({
      name: 'weft_netpol_managed_policies',
      help: 'NetworkPolicies the controller keeps in sync',
      registers,
    });
    this.retries = new Backoff({
      baseMs: BASE_BACKOFF_MS,
      maxMs: options.maxBackoffMs ?? MAX_BACKOFF_MS,
      clock: options.clock,
      random: options.random,
    });
  }

  start(): void {
    this.closed = false;
    this.startWatch();
    this.scheduleResync();
    this.changed();
  }

  /** Asks for a reconcile soon (debounced); call on every mesh state change. */
  changed(): void {
    if (this.closed || this.timer !== undefined) return;
    this.timer = this.options.clock.setTimeout(() => {
      this.timer = undefined;
      void this.run();
    }, this.options.debounceMs ?? 250);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.timer?.cancel();
    this.resyncTimer?.cancel();
    this.retries.cancel();
    await this.watch?.stop();
    await this.running;
  }

  /** Runs one reconcile now (or after the one in progress); resolves with its outcome. */
  async reconcile(): Promise<ReconcileOutcome> {
    while (this.running !== undefined) await this.running;
    let outcome: ReconcileOutcome | undefined;
    this.running = this.reconcileOnce().then((o) => {
      outcome = o;
    });
    try {
      await this.running;
    } finally {
      this.running = undefined;
    }
    return outcome as ReconcileOutcome;
  }

  private async run(): Promise<void> {
    if (this.running !== undefined) {
      this.again = true;
      return;
    }
    const outcome = await this.reconcile();
    if (this.closed) return;
    if (outcome.errors > 0) this.retries.retry(() => this.changed());
    else this.retries.reset();
    if (this.again) {
      this.again = false;
      this.changed();
    }
  }

  private scheduleResync(): void {
    this.resyncTimer = this.options.clock.setTimeout(() => {
      this.changed();
      if (!this.closed) this.scheduleResync();
    }, this.options.resyncMs ?? 60_000);
  }

  /** Watches the owned NetworkPolicies, so that an edit or delete by someone else is repaired. */
  private startWatch(): void {
    if (this.closed) return;
    const kc = this.options.kubeConfig;
    const list = async () => {
      const path = `${COLLECTION}?labelSelector=${encodeURIComponent(GENERATED_SELECTOR)}`;
      return (await kubeRequest(kc, { method: 'GET', path })) as { items?: unknown[] };
    };
    const informer: RestartableInformer<KubernetesObject> = new RestartableInformer<KubernetesObject>({
      path: COLLECTION,
      labelSelector: GENERATED_SELECTOR,
      list: list as never,
      watch: new KubeWatch(kc, { opened: () => informer.answered() }),
      clock: this.options.clock,
      random: this.options.random,
      logger: this.options.logger.child({ watch: 'NetworkPolicy' }),
      baseBackoffMs: BASE_BACKOFF_MS,
      maxBackoffMs: this.options.maxBackoffMs ?? MAX_BACKOFF_MS,
    });
    for (const verb of ['add', 'update', 'delete'] as const) informer.on(verb, () => this.changed());
    this.watch = informer;
    void informer.start();
  }

  private async listOwned(): Promise<Existing[]> {
    const out: Existing[] = [];
    let token: string | undefined;
    do {
      const query = new URLSearchParams({ labelSelector: GENERATED_SELECTOR, limit: '500' });
      if (token !== undefined) query.set('continue', token);
      const body = (await kubeRequest(this.options.kubeConfig, {
        method: 'GET',
        path: `${COLLECTION}?${query}`,
        timeoutMs: this.options.requestTimeoutMs ?? 30_000,
      })) as { metadata?: { continue?: string }; items?: Existing[] };
      out.push(...(body.items ?? []));
      token = body.metadata?.continue || undefined;
    } while (token !== undefined);
    // The selector is the API server's; check it here too, so that nothing unlabelled is ever touched.
    return out.filter((e) => e.metadata.labels?.[GENERATED_LABEL] === GENERATED_VALUE);
  }

  private async write(
    op: 'create' | 'update' | 'delete',
    fn: () => Promise<unknown>,
  ): Promise<'ok' | 'conflict' | 'error'> {
    try {
      await fn();
      this.writes.inc({ op, result: 'ok' });
      return 'ok';
    } catch (err) {
      // Deleting what is already gone is done.
      if (op === 'delete' && err instanceof KubeApiError && err.statusCode === 404) {
        this.writes.inc({ op, result: 'ok' });
        return 'ok';
      }
      if (op === 'create' && err instanceof KubeApiError && err.statusCode === 409) {
        this.writes.inc({ op, result: 'conflict' });
        return 'conflict';
      }
      this.writes.inc({ op, result: 'error' });
      const forbidden = err instanceof KubeApiError && err.statusCode === 403;
      this.options.logger.warn(
        {
          op,
          err: describeError(err),
          ...(forbidden ? { hint: 'grant the RBAC in install/addons/network-policies.yaml' } : {}),
        },
        'NetworkPolicy write failed',
      );
      return 'error';
    }
  }

  private async reconcileOnce(): Promise<ReconcileOutcome> {
    const zero = { created: 0, updated: 0, deleted: 0, conflicts: 0, errors: 0 };
    const inputs = this.options.inputs();
    if (inputs === undefined) {
      this.reconciles.inc({ result: 'not-synced' });
      this.last = { type: 'not-synced', ...zero };
      return this.last;
    }
    const { policies: desired, warnings } = compileNetworkPolicies(inputs);
    for (const w of warnings) this.options.logger.debug({ warning: w }, 'network policy generation');
    let existing: Existing[];
    try {
      existing = await this.listOwned();
    } catch (err) {
      this.reconciles.inc({ result: 'error' });
      const forbidden = err instanceof KubeApiError && err.statusCode === 403;
      this.options.logger.warn(
        {
          err: describeError(err),
          ...(forbidden ? { hint: 'grant the RBAC in install/addons/network-policies.yaml' } : {}),
        },
        'cannot list the generated NetworkPolicies',
      );
      this.last = { type: 'done', ...zero, errors: 1 };
      return this.last;
    }
    const byKey = new Map(existing.map((e) => [`${e.metadata.namespace}/${e.metadata.name}`, e]));
    const counts = { ...zero };
    const timeoutMs = this.options.requestTimeoutMs ?? 30_000;
    const kc = this.options.kubeConfig;
    for (const d of desired) {
      const key = `${d.metadata.namespace}/${d.metadata.name}`;
      const e = byKey.get(key);
      byKey.delete(key);
      if (e === undefined) {
        const r = await this.write('create', () =>
          kubeRequest(kc, { method: 'POST', path: objectPath(d.metadata.namespace), body: d, timeoutMs }),
        );
        if (r === 'ok') counts.created++;
        else if (r === 'conflict') {
          counts.conflicts++;
          if (!this.reportedConflicts.has(key)) {
            this.reportedConflicts.add(key);
            this.options.logger.warn(
              { policy: key },
              'a NetworkPolicy not owned by weft has this name; left alone',
            );
          }
        } else counts.errors++;
        continue;
      }
      if (upToDate(d, e)) continue;
      const body = {
        ...d,
        metadata: {
          ...d.metadata,
          ...(e.metadata.resourceVersion === undefined
            ? {}
            : { resourceVersion: e.metadata.resourceVersion }),
        },
      };
      const r = await this.write('update', () =>
        kubeRequest(kc, {
          method: 'PUT',
          path: objectPath(d.metadata.namespace, d.metadata.name),
          body,
          timeoutMs,
        }),
      );
      if (r === 'ok') counts.updated++;
      else counts.errors++;
    }
    for (const e of byKey.values()) {
      const body = {
        apiVersion: 'v1',
        kind: 'DeleteOptions',
        ...(e.metadata.uid === undefined ? {} : { preconditions: { uid: e.metadata.uid } }),
      };
      const r = await this.write('delete', () =>
        kubeRequest(kc, {
          method: 'DELETE',
          path: objectPath(e.metadata.namespace, e.metadata.name),
          body,
          timeoutMs,
        }),
      );
      if (r === 'ok') counts.deleted++;
      else counts.errors++;
    }
    this.managed.set(desired.length - counts.conflicts);
    this.conflictsGauge.set(counts.conflicts);
    this.reconciles.inc({ result: counts.errors > 0 ? 'error' : 'ok' });
    if (counts.created + counts.updated + counts.deleted > 0) {
      this.options.logger.info(counts, 'NetworkPolicies reconciled');
    }
    this.last = { type: 'done', ...counts };
    return this.last;
  }
}
