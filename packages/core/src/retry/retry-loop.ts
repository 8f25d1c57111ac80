/**
 * The attempt loop of one request: pick, send, classify, decide, back off, pick another
 * endpoint. {@link RetryLoop} is the state machine the proxy drives with callbacks (no promise
 * per request); {@link runWithRetries} wraps it in a promise for simulations and tests.
 */
import type { Attempt, Balancer } from '../balancer/balancer.js';
import type { AttemptResult } from '../balancer/endpoint-load.js';
import type { BalancedEndpoint, PickFailure, PickResult } from '../balancer/picker.js';
import type { Clock, TimerHandle } from '../clock.js';
import { WeftError } from '../errors.js';
import type { Random } from '../random.js';
import type { RetryBudget } from './retry-budget.js';
import {
  type AttemptOutcome,
  decideRetry,
  isIdempotent,
  type RetryDecision,
  type RetryPolicy,
  type RetryStopReason,
} from './retry-policy.js';
import { type AttemptTimer, attemptTimer } from './timeouts.js';

const GRPC_UNAVAILABLE = 14;

/** What one attempt produced: how it ended, whether the request reached the upstream, and the caller's value. */
export interface SentAttempt<R> {
  readonly outcome: AttemptOutcome;
  /** False when nothing reached the upstream (connect failure, refused stream). */
  readonly sent: boolean;
  /** The caller's handle on the response (relayed if final, discarded otherwise). */
  readonly value: R;
}

/** Everything the loop needs for one request. */
export interface RetryLoopOptions<T, R> {
  readonly balancer: Balancer<T>;
  readonly policy: RetryPolicy;
  readonly budget: RetryBudget;
  readonly clock: Clock;
  readonly random: Random;
  readonly method: string;
  /** Monotonic deadline of the whole request, if it has a timeout. */
  readonly requestDeadline?: number;
  /** The body seen so far: bytes and whether all of it is held for replay. */
  body(): { readonly bytes: number; readonly replayable: boolean };
  /**
   * Sends attempt number `attempt` (1-based) to `endpoint`, with the timer to arm. Must not
   * reject. A streaming protocol may call `judge` the moment it knows the outcome (e.g. at the
   * response head) to learn synchronously whether this attempt is final (relay it) or will be
   * retried (drop it); the loop calls it itself otherwise. `judge` decides once per attempt.
   */
  send(
    endpoint: BalancedEndpoint<T>,
    attempt: number,
    timer: AttemptTimer,
    judge: Judge,
  ): Promise<SentAttempt<R>>;
  /** Drops the response of an attempt that will be retried. */
  discard(value: R): void;
  /** Waits `ms` between attempts (the clock's timer in production; immediate in simulations). */
  sleep(ms: number): Promise<void>;
  /** The client went away: make no further attempt. */
  readonly signal?: AbortSignal;
}

/** Decides, once, whether an attempt with this outcome is retried. */
export type Judge = (outcome: AttemptOutcome, sent: boolean) => RetryDecision;

/** How the request ended. */
/** The ends of a retry loop that relay no response: the same for the loop and its result. */
export type RetryEnd =
  | {
      readonly type: 'unavailable';
      readonly reason: PickFailure;
      readonly message: string;
      readonly attempts: number;
    }
  | { readonly type: 'deadline'; readonly attempts: number }
  | { readonly type: 'aborted'; readonly attempts: number };

export type RetryLoopResult<R> =
  | {
      readonly type: 'response';
      /** The last attempt: relay it to the client (a success, or the final failure). */
      readonly last: SentAttempt<R>;
      readonly attempts: number;
      readonly stop: RetryStopReason;
    }
  | RetryEnd;

/**
 * What an attempt's outcome means for load and outlier accounting: 5xx responses, gRPC
 * UNAVAILABLE (in a trailers-only response), resets and timeouts are failures; a connect
 * failure is `unreachable` (outlier detection counts it in full at once); any other response
 * is a success.
 */
export function attemptResultOf(outcome: AttemptOutcome): AttemptResult {
  if (outcome.type === 'response')
    return outcome.status >= 500 || outcome.grpcStatus === GRPC_UNAVAILABLE ? 'failure' : 'success';
  return outcome.type === 'connect-failure' ? 'unreachable' : 'failure';
}

/** The endpoints a loop picks from: a Balancer, or anything shaped like one. */
export interface AttemptPicker<T> {
  pick(exclude?: ReadonlySet<string>): PickResult<T>;
  start(endpoint: BalancedEndpoint<T>): Attempt;
}

/** Settings of one request's loop (shared by all requests of a route: no per-request closures). */
export interface RetryLoopSettings<T> {
  /** Where attempts go: a balancer, or `fixed` (one upstream, no load accounting). */
  readonly balancer?: AttemptPicker<T>;
  readonly fixed?: T;
  readonly policy: RetryPolicy;
  /** Pays for retries; absent when the policy allows one attempt only. */
  readonly budget?: RetryBudget;
  readonly clock: Clock;
  readonly random: Random;
}

/**
 * The protocol side of a {@link RetryLoop}, implemented by the request's exchange. Each method
 * is called from the loop, synchronously.
 */
export interface RetryHost<T> {
  /**
   * Sends attempt `attempt` (1-based) to `endpoint`, arming `timer`. `fresh`: on a new
   * connection (the resend after a stale keep-alive connection). The host answers later with
   * {@link RetryLoop.decide} (at a response head, optional) and {@link RetryLoop.settle}.
   */
  sendAttempt(endpoint: T, attempt: number, timer: AttemptTimer, fresh: boolean): void;
  /** Body bytes seen so far. */
  readonly bodyBytes: number;
  /** True while every body byte seen is held for a replay. */
  readonly bodyReplayable: boolean;
  /** The loop is over: called exactly once. */
  retryDone(result: RetryResult): void;
  /** A stale keep-alive connection was replaced and the attempt resent (for a counter). */
  staleResent?(): void;
  /** Waits `ms` before the next attempt (simulations); the loop uses its clock's timer otherwise. */
  sleep?(ms: number, resume: () => void): void;
}

/** How a loop ended, without the protocol's response handle. */
export type RetryResult =
  | {
      readonly type: 'response';
      /** The last attempt's outcome: relay it to the client (a success, or the final failure). */
      readonly outcome: AttemptOutcome;
      readonly sent: boolean;
      readonly attempts: number;
      readonly stop: RetryStopReason;
    }
  | RetryEnd;

/**
 * One request's attempts as a state machine: `start` sends the first; the host reports each
 * attempt's end with `settle` (and may ask `decide` earlier, at a response head, to learn
 * whether to relay it); the loop then retries after a backoff or calls `retryDone`. `abort`
 * (the client went away) ends it. A stale keep-alive connection (`settle(…, stale = true)`: a
 * reused connection that closed before any response byte) is resent once on a fresh connection
 * to the same endpoint without counting as a retry, when the body is held and the request is
 * idempotent or sent no body bytes.
 */
export class RetryLoop<T> {
  private attempt = 0;
  private decision: RetryDecision | undefined;
  private inflight: Attempt | undefined;
  private current: BalancedEndpoint<T> | undefined;
  private tried: Set<string> | undefined;
  private backoff: TimerHandle | undefined;
  private staleUsed = false;
  private over = false;
  private readonly resume = () => {
    this.backoff = undefined;
    if (!this.over) this.next();
  };

  constructor(
    private readonly settings: RetryLoopSettings<T>,
    private readonly host: RetryHost<T>,
    private readonly method: string,
    /** Monotonic deadline of the whole request (NaN: none). */
    private readonly requestDeadline = Number.NaN,
  ) {
    if (settings.budget === undefined && settings.policy.attempts > 1) {
      throw new WeftError('INVALID_CONFIG', 'a retry loop with more than one attempt needs a retry budget');
    }
  }

  /** Attempts started so far (a stale resend is not one). */
  get attempts(): number {
    return this.attempt;
  }

  /** The endpoint of the attempt in flight (undefined with a fixed upstream). */
  get endpoint(): BalancedEndpoint<T> | undefined {
    return this.current;
  }

  /** True once `retryDone` was called. */
  get done(): boolean {
    return this.over;
  }

  start(): void {
    this.settings.budget?.deposit();
    this.next();
  }

  /**
   * Whether the attempt in flight, with this outcome, is final (relay it) or retried (drop it).
   * Decides once per attempt; later calls return the same decision.
   */
  decide(outcome: AttemptOutcome, sent: boolean): RetryDecision {
    if (this.decision !== undefined) return this.decision;
    const s = this.settings;
    if (s.budget === undefined) {
      // One attempt only (checked at construction): every outcome is final.
      this.decision = FINAL_ONLY;
      return FINAL_ONLY;
    }
    const remaining = this.requestDeadline - s.clock.monotonic();
    this.decision = decideRetry(
      s.policy,
      s.budget,
      {
        method: this.method,
        attempt: this.attempt,
        bodyBytes: this.host.bodyBytes,
        bodyReplayable: this.host.bodyReplayable,
        sent,
        ...(Number.isNaN(remaining) ? {} : { remainingMs: remaining }),
      },
      outcome,
      s.random,
    );
    return this.decision;
  }

  /** The attempt in flight ended with `outcome`; `stale`: its reused connection closed before any response byte. */
  settle(outcome: AttemptOutcome, sent: boolean, stale = false): void {
    if (this.over || this.attempt === 0 || this.backoff !== undefined) return;
    if (stale && this.decision === undefined && this.mayResendStale()) {
      this.staleUsed = true;
      const timer = this.timer();
      if (timer.type === 'expired') {
        this.endInflight('failure');
        this.finish({ type: 'deadline', attempts: this.attempt });
        return;
      }
      this.host.staleResent?.();
      this.host.sendAttempt(this.target(), this.attempt, timer, true);
      return;
    }
    const decision = this.decide(outcome, sent);
    this.endInflight(attemptResultOf(outcome));
    if (decision.type === 'stop') {
      this.finish({ type: 'response', outcome, sent, attempts: this.attempt, stop: decision.reason });
      return;
    }
    if (this.current !== undefined) {
      this.tried ??= new Set();
      this.tried.add(this.current.key);
    }
    if (this.host.sleep !== undefined) {
      this.backoff = NO_TIMER;
      this.host.sleep(decision.delayMs, this.resume);
    } else this.backoff = this.settings.clock.setTimeout(this.resume, decision.delayMs);
  }

  /** The client went away: no further attempt; an attempt in flight not yet judged is not the endpoint's fault. */
  abort(): void {
    if (this.over) return;
    if (this.decision?.type === 'stop') return; // being relayed: settle ends it
    this.backoff?.cancel();
    this.backoff = undefined;
    this.endInflight('cancelled');
    this.finish({ type: 'aborted', attempts: this.attempt });
  }

  /** True when a stale-connection failure of the attempt in flight would be resent (not yet judged, first time). */
  resendsStale(): boolean {
    return this.decision === undefined && this.mayResendStale();
  }

  private mayResendStale(): boolean {
    if (this.staleUsed || !this.host.bodyReplayable) return false;
    return isIdempotent(this.method) || this.host.bodyBytes === 0;
  }

  private next(): void {
    const s = this.settings;
    this.decision = undefined;
    let endpoint: T;
    if (s.balancer !== undefined) {
      const picked = s.balancer.pick(this.tried);
      if (picked.type === 'fail') {
        this.finish({
          type: 'unavailable',
          reason: picked.reason,
          message: picked.message,
          attempts: this.attempt,
        });
        return;
      }
      this.current = picked.endpoint;
      endpoint = picked.endpoint.value;
    } else endpoint = s.fixed as T;
    const timer = this.timer();
    if (timer.type === 'expired') {
      this.finish({ type: 'deadline', attempts: this.attempt });
      return;
    }
    this.attempt++;
    if (this.current !== undefined && s.balancer !== undefined)
      this.inflight = s.balancer.start(this.current);
    this.host.sendAttempt(endpoint, this.attempt, timer, false);
  }

  private target(): T {
    return this.current !== undefined ? this.current.value : (this.settings.fixed as T);
  }

  private timer(): AttemptTimer {
    const perTry = this.settings.policy.perTryTimeoutMs;
    if (Number.isNaN(this.requestDeadline) && perTry === undefined) return NO_ATTEMPT_TIMER;
    return attemptTimer({
      now: this.settings.clock.monotonic(),
      ...(Number.isNaN(this.requestDeadline) ? {} : { requestDeadline: this.requestDeadline }),
      ...(perTry === undefined ? {} : { perTryMs: perTry }),
    });
  }

  private endInflight(result: AttemptResult): void {
    const inflight = this.inflight;
    this.inflight = undefined;
    inflight?.end(result);
  }

  private finish(result: RetryResult): void {
    this.over = true;
    this.host.retryDone(result);
  }
}

const FINAL_ONLY: RetryDecision = { type: 'stop', reason: 'attempts-exhausted' };
const NO_ATTEMPT_TIMER: AttemptTimer = { type: 'none' };
const NO_TIMER: TimerHandle = { cancel: () => {} };

/**
 * Runs attempts until one is final, as a promise: {@link RetryLoop} for simulations and tests
 * (each attempt is a promise there). Deposits the request in the budget, tries a different
 * endpoint on each retry where possible, and reports every attempt to the balancer.
 */
export function runWithRetries<T, R>(o: RetryLoopOptions<T, R>): Promise<RetryLoopResult<R>> {
  return new Promise((resolve) => {
    let last: SentAttempt<R> | undefined;
    const host: RetryHost<T> = {
      get bodyBytes() {
        return o.body().bytes;
      },
      get bodyReplayable() {
        return o.body().replayable;
      },
      sendAttempt(_endpoint, attempt, timer) {
        const endpoint = loop.endpoint as BalancedEndpoint<T>;
        let judged = false;
        const judge: Judge = (outcome, sent) => {
          judged = true;
          return loop.decide(outcome, sent);
        };
        void o.send(endpoint, attempt, timer, judge).then((result) => {
          if (loop.done) return;
          if (o.signal?.aborted && !judged) {
            // The client left mid-attempt: the endpoint is not to blame, and nothing is relayed.
            loop.abort();
            return;
          }
          last = result;
          if (loop.decide(result.outcome, result.sent).type === 'retry') o.discard(result.value);
          loop.settle(result.outcome, result.sent);
        });
      },
      retryDone(result) {
        if (result.type === 'response') {
          resolve({
            type: 'response',
            last: last as SentAttempt<R>,
            attempts: result.attempts,
            stop: result.stop,
          });
        } else resolve(result);
      },
      sleep(ms, resume) {
        void o.sleep(ms).then(() => {
          if (o.signal?.aborted) loop.abort();
          else resume();
        });
      },
    };
    const loop = new RetryLoop<T>(
      { balancer: o.balancer, policy: o.policy, budget: o.budget, clock: o.clock, random: o.random },
      host,
      o.method,
      o.requestDeadline ?? Number.NaN,
    );
    if (o.signal?.aborted) {
      resolve({ type: 'aborted', attempts: 0 });
      return;
    }
    loop.start();
  });
}
