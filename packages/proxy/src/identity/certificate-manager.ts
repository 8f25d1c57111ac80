/**
 * Keeps a workload's X.509-SVID fresh: key generated here, CSR sent with the token, chain held in
 * memory (optionally written to a folder), renewed at ~50% of its lifetime, and kept in service
 * while the control plane is unreachable (retrying with jittered exponential backoff).
 */

import { EventEmitter } from 'node:events';
import {
  type Clock,
  describeError,
  type Random,
  systemClock,
  systemRandom,
  type TimerHandle,
} from '@weft/core';
import { type KeyAlgorithm, rotationDelayMs } from '@weft/pki/workload';
import { Backoff, type Logger, silentLogger } from '@weft/runtime';
import type { CertificateClient } from './certificate-client.js';
import { requestSvid, type Svid, writeSvid } from './svid.js';

/** Options for {@link CertificateManager}. */
export interface CertificateManagerOptions {
  readonly client: CertificateClient;
  /** Reads the token before each request (projected ServiceAccount tokens rotate on disk). */
  readonly token: () => Promise<string>;
  /** The trust domain the SVID must be in. */
  readonly trustDomain: string;
  readonly keyAlgorithm?: KeyAlgorithm;
  /** When set, cert.pem / key.pem / bundle.pem are written here (e.g. a tmpfs) on every renewal. */
  readonly outDir?: string;
  /** Retry backoff after a failure: base (default 1s) doubling up to max (default 60s), full jitter. */
  readonly backoff?: { readonly baseMs?: number; readonly maxMs?: number };
  readonly clock?: Clock;
  readonly random?: Random;
  readonly logger?: Logger;
}

/** Why a renewal attempt failed, and when the next one runs. */
export interface RenewalFailure {
  readonly reason: string;
  readonly message: string;
  /** Consecutive failures so far (1 for the first). */
  readonly attempt: number;
  readonly retryInMs: number;
}

/** Events of {@link CertificateManager}. */
export interface CertificateManagerEvents {
  /** A new SVID is in force (also for the first). Swap TLS SecureContexts here. */
  rotated: [svid: Svid, previous: Svid | undefined];
  /** An attempt failed; the current SVID (if any) stays in force. */
  'renewal-failed': [failure: RenewalFailure];
}

/** Holds and renews the workload's certificate. */
export class CertificateManager extends EventEmitter<CertificateManagerEvents> {
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly logger: Logger;
  private svid: Svid | undefined;
  private timer: TimerHandle | undefined;
  private readonly backoff: Backoff;
  private running = false;
  private closed = false;
  private first: Promise<Svid> | undefined;
  private firstWaiter: { resolve: (svid: Svid) => void; reject: (err: Error) => void } | undefined;

  constructor(private readonly options: CertificateManagerOptions) {
    super();
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? systemRandom;
    this.logger = options.logger ?? silentLogger();
    // Only its delays are used: the one timer below serves rotations and retries alike.
    this.backoff = new Backoff({
      baseMs: options.backoff?.baseMs ?? 1000,
      maxMs: options.backoff?.maxMs ?? 60_000,
      random: this.random,
    });
  }

  /** Starts fetching; resolves with the first SVID (retrying until then), rejects if closed first. */
  start(): Promise<Svid> {
    this.first ??= new Promise<Svid>((resolve, reject) => {
      this.firstWaiter = { resolve, reject };
      this.schedule(0);
    });
    return this.first;
  }

  /** The SVID in force, if any (possibly expired when the control plane has been away that long). */
  current(): Svid | undefined {
    return this.svid;
  }

  /** Seconds until the current SVID expires (negative once expired), or undefined before the first. */
  secondsToExpiry(): number | undefined {
    return this.svid === undefined ? undefined : (this.svid.notAfter - this.clock.now()) / 1000;
  }

  /**
   * Renews within `withinMs` (a uniformly random delay, so that a fleet told at once does not
   * stampede the CA), replacing the scheduled renewal; nothing when a request is in flight. The
   * current SVID stays in force. Returns whether a renewal was scheduled.
   */
  renewSoon(withinMs: number): boolean {
    if (this.closed || this.running || this.svid === undefined) return false;
    this.schedule(Math.round(this.random.next() * Math.max(0, withinMs)));
    return true;
  }

  /** Stops renewing. The current SVID stays readable. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.timer?.cancel();
    this.firstWaiter?.reject(new Error('certificate manager closed before the first certificate'));
    this.firstWaiter = undefined;
  }

  private schedule(delayMs: number): void {
    if (this.closed) return;
    this.timer?.cancel();
    this.timer = this.clock.setTimeout(() => {
      void this.attempt();
    }, delayMs);
  }

  private async attempt(): Promise<void> {
    if (this.running || this.closed) return;
    this.running = true;
    let result: Awaited<ReturnType<CertificateManager['fetch']>>;
    try {
      result = await this.fetch();
    } finally {
      this.running = false;
    }
    if (this.closed) return;
    if (result.type === 'ok') await this.accept(result.svid);
    else this.fail(result.reason, result.message);
  }

  private async fetch() {
    try {
      const token = await this.options.token();
      return await requestSvid({
        client: this.options.client,
        token,
        trustDomain: this.options.trustDomain,
        keyAlgorithm: this.options.keyAlgorithm,
        now: this.clock.now(),
      });
    } catch (err) {
      return { type: 'failed' as const, reason: 'token-unreadable', message: describeError(err) };
    }
  }

  private async accept(svid: Svid): Promise<void> {
    const previous = this.svid;
    this.svid = svid;
    this.backoff.reset();
    if (this.options.outDir !== undefined) {
      try {
        await writeSvid(this.options.outDir, svid);
      } catch (err) {
        this.logger.warn(
          { err: describeError(err), dir: this.options.outDir },
          'could not write the certificate files',
        );
      }
    }
    const delay = rotationDelayMs({
      notBefore: svid.notBefore,
      notAfter: svid.notAfter,
      now: this.clock.now(),
      random: this.random,
    });
    this.logger.info(
      { identity: svid.identity, serial: svid.serialHex, renewInMs: delay },
      'certificate in force',
    );
    this.schedule(delay);
    this.firstWaiter?.resolve(svid);
    this.firstWaiter = undefined;
    this.emit('rotated', svid, previous);
  }

  private fail(reason: string, message: string): void {
    const retryInMs = Math.round(this.backoff.next());
    const attempt = this.backoff.failures;
    this.logger.warn(
      { reason, attempt, retryInMs, secondsToExpiry: this.secondsToExpiry() },
      `certificate renewal failed: ${message}`,
    );
    this.schedule(retryInMs);
    this.emit('renewal-failed', { reason, message, attempt, retryInMs });
  }
}
