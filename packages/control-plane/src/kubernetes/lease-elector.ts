/**
 * Leader election on a `coordination.k8s.io/v1` Lease, after client-go's algorithm: the holder
 * renews every retry period; a follower takes the lease only once it has seen the same lease
 * record unchanged for long enough on its own monotonic clock (never trusting another machine's
 * wall clock), or at once when the holder released it. Every write is a PUT carrying the
 * resourceVersion it read, so two replicas racing for the lease cannot both win: the API server
 * answers the loser 409 Conflict.
 *
 * Timings, all derived from the lease duration L (15 s by default):
 * - retry period r = L / 7.5 (followers jitter theirs up to 1.2 r);
 * - renew deadline d = L / 2: a leader that has not renewed for d stops leading — `isLeader()`
 *   compares the monotonic clock with the last renewal itself, so a late timer cannot extend it;
 * - takeover wait w = L − 2.4 r = 0.68 L: a follower takes a lease it saw unchanged for w. Its
 *   first sight of a renewal is at most 1.2 r after it, and its next try at most 1.2 r after w
 *   ends, so a watching follower takes over within L of the leader's last renewal (client-go
 *   waits the whole L from first sight, up to L + 2.4 r). Safety holds because w > d: by the time
 *   a follower takes over, the old leader stopped writing (0.18 L earlier at the latest).
 *
 * Why hand-written: @kubernetes/client-node 1.x (1.4.0 here) ships no leader election (no
 * LeaderElector or LeaseLock, unlike client-go); this is the small part of it weft needs, on
 * client-node's own CoordinationV1Api and V1Lease/V1MicroTime types.
 */

import {
  ApiException,
  CoordinationV1Api,
  type KubeConfig,
  type V1Lease,
  V1MicroTime,
} from '@kubernetes/client-node';
import {
  type Clock,
  describeError,
  jitter,
  type Random,
  systemClock,
  systemRandom,
  type TimerHandle,
} from '@weft/core';
import { type Logger, silentLogger } from '@weft/runtime';

/** Whether this replica leads; the status writer asks before every write. */
export interface Leadership {
  /** True while this replica holds the lease (a synchronous check, made before each write). */
  isLeader(): boolean;
  /** Calls `fn` on every change of leadership; returns a function that stops the calls. */
  onChange(fn: (leading: boolean) => void): () => void;
}

/** A Leadership that always leads (one replica, or `--no-leader-elect`). */
export const alwaysLeader: Leadership = { isLeader: () => true, onChange: () => () => undefined };

export interface LeaseElectorOptions {
  readonly kubeConfig: KubeConfig;
  readonly namespace: string;
  readonly name: string;
  /** This replica's name in `holderIdentity` (the pod name). */
  readonly identity: string;
  /** How long a lease not renewed stays the holder's; default 15 s. */
  readonly leaseDurationMs?: number;
  /** The leader steps down when it could not renew for this long; default half the lease duration. */
  readonly renewDeadlineMs?: number;
  /** Between two attempts (renewals by the leader, tries by the others); default lease duration / 7.5. */
  readonly retryPeriodMs?: number;
  readonly clock?: Clock;
  readonly random?: Random;
  readonly logger?: Logger;
  /** Counts failed lease requests. */
  readonly onError?: (reason: string) => void;
}

/** Followers wait between r and this many retry periods r between tries. */
const FOLLOWER_JITTER = 1.2;

/** Default lease duration: 15 s (client-go's). */
export const DEFAULT_LEASE_DURATION_MS = 15_000;

/** What the elector saw last, for /debug/state. */
export interface LeaseObservation {
  readonly name: string;
  readonly namespace: string;
  readonly identity: string;
  readonly leading: boolean;
  /** The holder named by the lease as last read ('' when free or never read). */
  readonly holder: string;
  readonly leaseDurationMs: number;
}

export class LeaseElector implements Leadership {
  private readonly api: CoordinationV1Api;
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly logger: Logger;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly takeoverAfterMs: number;
  private readonly listeners = new Set<(leading: boolean) => void>();
  private leading = false;
  private holder = '';
  /** The lease record last read (its resourceVersion) and when it was first seen (monotonic). */
  private observedVersion = '';
  private observedAt = 0;
  /** When the last successful renewal started (monotonic). */
  private renewedAt = 0;
  private deadline: TimerHandle | undefined;
  private wake: TimerHandle | undefined;
  private wakeUp: (() => void) | undefined;
  private closed = false;
  private loop: Promise<void> | undefined;

  constructor(private readonly options: LeaseElectorOptions) {
    this.api = options.kubeConfig.makeApiClient(CoordinationV1Api);
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? systemRandom;
    this.logger = options.logger ?? silentLogger();
    this.leaseDurationMs = options.leaseDurationMs ?? DEFAULT_LEASE_DURATION_MS;
    this.renewDeadlineMs = options.renewDeadlineMs ?? Math.round(this.leaseDurationMs / 2);
    this.retryPeriodMs = options.retryPeriodMs ?? Math.round(this.leaseDurationMs / 7.5);
    this.takeoverAfterMs = this.leaseDurationMs - 2 * FOLLOWER_JITTER * this.retryPeriodMs;
    if (!(this.retryPeriodMs < this.renewDeadlineMs && this.renewDeadlineMs < this.takeoverAfterMs)) {
      throw new Error(
        `lease timings: need retry period (${this.retryPeriodMs} ms) < renew deadline (${this.renewDeadlineMs} ms) < takeover wait (lease duration ${this.leaseDurationMs} ms less 2.4 retry periods = ${this.takeoverAfterMs} ms)`,
      );
    }
  }

  isLeader(): boolean {
    // Checked against the clock, not only the flag: a renew-deadline timer firing late on a busy
    // event loop must not let a deposed leader write.
    return this.leading && this.clock.monotonic() < this.renewedAt + this.renewDeadlineMs;
  }

  onChange(fn: (leading: boolean) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  observation(): LeaseObservation {
    return {
      name: this.options.name,
      namespace: this.options.namespace,
      identity: this.options.identity,
      leading: this.isLeader(),
      holder: this.holder,
      leaseDurationMs: this.leaseDurationMs,
    };
  }

  /** Starts trying to acquire the lease, then keeps renewing it while it holds it. */
  start(): void {
    if (this.loop !== undefined) return;
    this.loop = this.run();
  }

  /** Stops; a leader releases the lease so that another replica takes it at its next try. */
  async close(): Promise<void> {
    this.closed = true;
    this.wake?.cancel();
    this.wakeUp?.();
    await this.loop;
    // Also when an acquisition finished while closing (holder is this replica, never led).
    const mayHold = this.leading || this.holder === this.options.identity;
    this.setLeading(false, 'closing');
    if (mayHold) await this.release();
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      await this.attempt();
      if (this.closed) return;
      // Followers wait r to 1.2 r (client-go's JitterFactor) so that they do not race in step.
      const waitMs = this.leading
        ? this.retryPeriodMs
        : jitter(
            (this.retryPeriodMs * (1 + FOLLOWER_JITTER)) / 2,
            (FOLLOWER_JITTER - 1) / (1 + FOLLOWER_JITTER),
            this.random,
          );
      await new Promise<void>((resolve) => {
        this.wakeUp = resolve;
        this.wake = this.clock.setTimeout(resolve, waitMs);
      });
    }
  }

  private async attempt(): Promise<void> {
    const startedAt = this.clock.monotonic();
    let outcome: 'acquired' | 'held-by-other';
    try {
      outcome = await this.withDeadline(this.acquireOrRenew(startedAt));
    } catch (err) {
      const reason = err instanceof ApiException ? `http-${err.code}` : 'request';
      this.options.onError?.(reason);
      this.logger.warn(
        { lease: this.options.name, err: describeError(err), leading: this.leading },
        'lease request failed',
      );
      // The deadline timer steps a leader down once renewals have failed for the renew deadline.
      return;
    }
    if (this.closed) return;
    if (outcome === 'acquired') {
      this.renewedAt = startedAt;
      this.setLeading(true, 'acquired');
      this.armDeadline();
    } else this.setLeading(false, `held by ${this.holder}`);
  }

  /** Rejects when `p` takes longer than the renew deadline (a request hanging on a partition). */
  private withDeadline<T>(p: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = this.clock.setTimeout(
        () => reject(new Error(`lease request took longer than ${this.renewDeadlineMs} ms`)),
        this.renewDeadlineMs,
      );
      p.then(
        (v) => {
          timer.cancel();
          resolve(v);
        },
        (err: unknown) => {
          timer.cancel();
          reject(err);
        },
      );
    });
  }

  /** Steps down when no renewal succeeds within the renew deadline, even if a request hangs. */
  private armDeadline(): void {
    this.deadline?.cancel();
    const renewedAt = this.renewedAt;
    const left = renewedAt + this.renewDeadlineMs - this.clock.monotonic();
    this.deadline = this.clock.setTimeout(
      () => {
        if (this.renewedAt === renewedAt) this.setLeading(false, 'renew deadline passed');
      },
      Math.max(0, left),
    );
  }

  private async acquireOrRenew(now: number): Promise<'acquired' | 'held-by-other'> {
    const { name, namespace, identity } = this.options;
    const leaseDurationSeconds = Math.max(1, Math.round(this.leaseDurationMs / 1000));
    let lease: V1Lease;
    try {
      lease = await this.api.readNamespacedLease({ name, namespace });
    } catch (err) {
      if (!(err instanceof ApiException && err.code === 404)) throw err;
      const at = new V1MicroTime(this.clock.now());
      try {
        await this.api.createNamespacedLease({
          namespace,
          body: {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name, namespace },
            spec: {
              holderIdentity: identity,
              leaseDurationSeconds,
              acquireTime: at,
              renewTime: at,
              leaseTransitions: 0,
            },
          },
        });
      } catch (createErr) {
        // Another replica created it first: it holds the lease.
        if (createErr instanceof ApiException && createErr.code === 409) return 'held-by-other';
        throw createErr;
      }
      this.holder = identity;
      return 'acquired';
    }
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const version = lease.metadata?.resourceVersion ?? '';
    if (version !== this.observedVersion) {
      this.observedVersion = version;
      this.observedAt = now;
    }
    this.holder = holder;
    // The takeover wait, for the duration the holder wrote (L − 2.4 r when it is ours).
    const heldForMs =
      (spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000 -
      (this.leaseDurationMs - this.takeoverAfterMs);
    if (holder !== '' && holder !== identity && this.observedAt + heldForMs > now) {
      return 'held-by-other';
    }
    const at = new V1MicroTime(this.clock.now());
    const mine = holder === identity;
    await this.api.replaceNamespacedLease({
      name,
      namespace,
      // The resourceVersion read above makes this a compare-and-swap: 409 if anyone wrote since.
      body: {
        ...lease,
        spec: {
          ...spec,
          holderIdentity: identity,
          leaseDurationSeconds,
          renewTime: at,
          acquireTime: mine && spec.acquireTime !== undefined ? spec.acquireTime : at,
          leaseTransitions: mine
            ? (spec.leaseTransitions ?? 0)
            : (spec.leaseTransitions ?? 0) + (holder === '' ? 0 : 1),
        },
      },
    });
    this.holder = identity;
    return 'acquired';
  }

  /** Gives the lease up (holder cleared, 1 s duration), as client-go's ReleaseOnCancel does. */
  private async release(): Promise<void> {
    const { name, namespace, identity } = this.options;
    try {
      const lease = await this.withDeadline(this.api.readNamespacedLease({ name, namespace }));
      if (lease.spec?.holderIdentity !== identity) return;
      const at = new V1MicroTime(this.clock.now());
      await this.withDeadline(
        this.api.replaceNamespacedLease({
          name,
          namespace,
          body: {
            ...lease,
            spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: at },
          },
        }),
      );
      this.holder = '';
      this.logger.info({ lease: name }, 'released the lease');
    } catch (err) {
      this.logger.warn({ lease: name, err: describeError(err) }, 'releasing the lease failed');
    }
  }

  private setLeading(leading: boolean, why: string): void {
    if (this.leading === leading) return;
    this.leading = leading;
    if (!leading) this.deadline?.cancel();
    this.logger.info(
      { lease: this.options.name, identity: this.options.identity, why },
      leading ? 'leading' : 'not leading',
    );
    for (const fn of [...this.listeners]) fn(leading);
  }
}
