/** The attempt loop of one request: pick, send, classify, decide, back off, pick another endpoint. */
import type { Attempt, Balancer } from '../balancer/balancer.js';
import type { AttemptResult } from '../balancer/endpoint-load.js';
import type { BalancedEndpoint, PickFailure } from '../balancer/picker.js';
import type { Clock } from '../clock.js';
import type { Random } from '../random.js';
import type { RetryBudget } from './retry-budget.js';
import {
  type AttemptOutcome,
  decideRetry,
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
export type RetryLoopResult<R> =
  | {
      readonly type: 'response';
      /** The last attempt: relay it to the client (a success, or the final failure). */
      readonly last: SentAttempt<R>;
      readonly attempts: number;
      readonly stop: RetryStopReason;
    }
  | {
      readonly type: 'unavailable';
      readonly reason: PickFailure;
      readonly message: string;
      readonly attempts: number;
    }
  | { readonly type: 'deadline'; readonly attempts: number }
  | { readonly type: 'aborted'; readonly attempts: number };

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

/**
 * Runs attempts until one is final. Deposits the request in the budget, tries a different
 * endpoint on each retry where possible, and reports every attempt to the balancer.
 */
export async function runWithRetries<T, R>(o: RetryLoopOptions<T, R>): Promise<RetryLoopResult<R>> {
  o.budget.deposit();
  const tried = new Set<string>();
  for (let attempt = 1; ; attempt++) {
    if (o.signal?.aborted) return { type: 'aborted', attempts: attempt - 1 };
    const picked = o.balancer.pick(tried);
    if (picked.type === 'fail')
      return { type: 'unavailable', reason: picked.reason, message: picked.message, attempts: attempt - 1 };
    const now = o.clock.monotonic();
    const timer = attemptTimer({
      now,
      ...(o.requestDeadline === undefined ? {} : { requestDeadline: o.requestDeadline }),
      ...(o.policy.perTryTimeoutMs === undefined ? {} : { perTryMs: o.policy.perTryTimeoutMs }),
    });
    if (timer.type === 'expired') return { type: 'deadline', attempts: attempt - 1 };
    const inflight: Attempt = o.balancer.start(picked.endpoint);
    let decision: RetryDecision | undefined;
    const judge: Judge = (outcome, sent) => {
      if (decision !== undefined) return decision;
      const body = o.body();
      decision = decideRetry(
        o.policy,
        o.budget,
        {
          method: o.method,
          attempt,
          bodyBytes: body.bytes,
          bodyReplayable: body.replayable,
          sent,
          ...(o.requestDeadline === undefined
            ? {}
            : { remainingMs: o.requestDeadline - o.clock.monotonic() }),
        },
        outcome,
        o.random,
      );
      return decision;
    };
    const result = await o.send(picked.endpoint, attempt, timer, judge);
    if (o.signal?.aborted && decision === undefined) {
      // The client left mid-attempt: the endpoint is not to blame, and nothing is relayed.
      inflight.end('cancelled');
      return { type: 'aborted', attempts: attempt };
    }
    inflight.end(attemptResultOf(result.outcome));
    const final = judge(result.outcome, result.sent);
    if (final.type === 'stop')
      return { type: 'response', last: result, attempts: attempt, stop: final.reason };
    o.discard(result.value);
    tried.add(picked.endpoint.key);
    await o.sleep(final.delayMs);
  }
}
