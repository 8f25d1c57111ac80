/** Retry decisions: which failures are retried, how often, for which requests, within which budget. */
import type { RetryConfig } from '@weft/api';
import { WeftError } from '../errors.js';
import type { Random } from '../random.js';
import { type BackoffOptions, backoffDelayMs, DEFAULT_BACKOFF } from './backoff.js';
import { MAX_RETRY_BODY_BYTES } from './replay-buffer.js';
import type { RetryBudget, RetryBudgetOptions } from './retry-budget.js';
import { DEFAULT_RETRY_BUDGET } from './retry-budget.js';
import type { TimeoutKind } from './timeouts.js';

/** The request header telling the upstream which attempt it receives (1 = first). */
export const ATTEMPT_HEADER = 'x-weft-attempt';

/** Methods safe to repeat (RFC 9110 section 9.2.2). */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

const GRPC_CODES: Record<string, number> = {
  cancelled: 1,
  unknown: 2,
  'deadline-exceeded': 4,
  'resource-exhausted': 8,
  aborted: 10,
  internal: 13,
  unavailable: 14,
};

/** Parsed retry conditions. */
export interface RetryConditions {
  readonly connectFailure: boolean;
  readonly refusedStream: boolean;
  readonly reset: boolean;
  /** Any 5xx, plus connect failure, refused stream, reset and per-try timeout (Envoy's `5xx`). */
  readonly any5xx: boolean;
  /** 502, 503, 504, plus connect failure and per-try timeout (what a gateway would answer). */
  readonly gatewayError: boolean;
  readonly statusCodes: ReadonlySet<number>;
  readonly grpcCodes: ReadonlySet<number>;
}

/** A compiled retry policy. */
export interface RetryPolicy {
  /** Total attempts including the first; 1 disables retries. */
  readonly attempts: number;
  readonly conditions: RetryConditions;
  readonly perTryTimeoutMs?: number;
  readonly backoff: BackoffOptions;
  readonly budget: RetryBudgetOptions;
  /** Retry POST, PATCH and other non-idempotent methods after they were sent. */
  readonly nonIdempotent: boolean;
}

/** How one attempt ended, as the proxy saw it. */
export type AttemptOutcome =
  | { readonly type: 'connect-failure' }
  | { readonly type: 'refused-stream' }
  | { readonly type: 'reset' }
  /**
   * The proxy refused the connection itself (the server presented the wrong identity, or the
   * proxy has no certificate yet): a security or setup failure, never retried.
   */
  | { readonly type: 'rejected' }
  /** A timer fired: per-try (retryable under 5xx and gateway-error) or the whole request's (final). */
  | { readonly type: 'timeout'; readonly kind: TimeoutKind }
  | { readonly type: 'response'; readonly status: number; readonly grpcStatus?: number };

/** The request being retried. */
export interface RetryRequest {
  readonly method: string;
  /** Attempts made so far, including the one that just ended. */
  readonly attempt: number;
  /** Bytes of request body seen so far, and whether they were all kept (see ReplayBuffer). */
  readonly bodyBytes: number;
  readonly bodyReplayable: boolean;
  /** Whether any of the request reached the upstream (false after connect failure or refused stream). */
  readonly sent: boolean;
  /** Time left before the request timeout, if there is one. */
  readonly remainingMs?: number;
}

/** Why no further attempt is made. */
export type RetryStopReason =
  | 'success'
  | 'not-retryable'
  | 'attempts-exhausted'
  | 'body-too-large'
  | 'non-idempotent'
  | 'deadline'
  | 'budget-exhausted';

export type RetryDecision =
  | { readonly type: 'retry'; readonly delayMs: number }
  | { readonly type: 'stop'; readonly reason: RetryStopReason };

/**
 * Compiles a model retry config. Throws WeftError INVALID_CONFIG naming the field
 * (`<where>.on[i]`, `<where>.attempts` ...).
 */
export function compileRetryPolicy(config: RetryConfig, where = 'retry'): RetryPolicy {
  if (!Number.isInteger(config.attempts) || config.attempts < 1 || config.attempts > 10) {
    throw new WeftError(
      'INVALID_CONFIG',
      `${where}.attempts: must be an integer within 1-10 (got ${config.attempts})`,
    );
  }
  const statusCodes = new Set<number>();
  const grpcCodes = new Set<number>();
  const flags = {
    connectFailure: false,
    refusedStream: false,
    reset: false,
    any5xx: false,
    gatewayError: false,
  };
  config.on.forEach((condition, i) => {
    if (condition === 'connect-failure') flags.connectFailure = true;
    else if (condition === 'refused-stream') flags.refusedStream = true;
    else if (condition === 'reset') flags.reset = true;
    else if (condition === '5xx') flags.any5xx = true;
    else if (condition === 'gateway-error') flags.gatewayError = true;
    else if (/^[1-5]\d\d$/.test(condition)) statusCodes.add(Number(condition));
    else if (condition.startsWith('grpc:') && GRPC_CODES[condition.slice(5)] !== undefined) {
      grpcCodes.add(GRPC_CODES[condition.slice(5)] as number);
    } else {
      throw new WeftError(
        'INVALID_CONFIG',
        `${where}.on[${i}]: unknown retry condition ${JSON.stringify(condition)}`,
      );
    }
  });
  const backoff = config.backoff ?? DEFAULT_BACKOFF;
  if (!(backoff.baseMs > 0 && backoff.maxMs >= backoff.baseMs)) {
    throw new WeftError('INVALID_CONFIG', `${where}.backoff: base must be > 0 and max >= base`);
  }
  if (config.perTryTimeoutMs !== undefined && !(config.perTryTimeoutMs > 0)) {
    throw new WeftError('INVALID_CONFIG', `${where}.perTryTimeout: must be > 0`);
  }
  return {
    attempts: config.attempts,
    conditions: { ...flags, statusCodes, grpcCodes },
    ...(config.perTryTimeoutMs === undefined ? {} : { perTryTimeoutMs: config.perTryTimeoutMs }),
    backoff,
    budget: config.budget ?? DEFAULT_RETRY_BUDGET,
    nonIdempotent: config.nonIdempotent,
  };
}

/** True when the outcome is a failure the conditions name. A non-matching response is final. */
export function isRetryableOutcome(c: RetryConditions, outcome: AttemptOutcome): boolean {
  switch (outcome.type) {
    case 'connect-failure':
      return c.connectFailure || c.any5xx || c.gatewayError;
    case 'refused-stream':
      return c.refusedStream || c.any5xx;
    case 'reset':
      return c.reset || c.any5xx;
    case 'timeout':
      return outcome.kind === 'per-try' && (c.any5xx || c.gatewayError);
    case 'rejected':
      return false;
    case 'response': {
      const s = outcome.status;
      if (outcome.grpcStatus !== undefined && c.grpcCodes.has(outcome.grpcStatus)) return true;
      if (c.statusCodes.has(s)) return true;
      if (c.any5xx && s >= 500 && s <= 599) return true;
      return c.gatewayError && (s === 502 || s === 503 || s === 504);
    }
  }
}

/** True for methods that may be repeated without changing the result (RFC 9110). */
export function isIdempotent(method: string): boolean {
  return IDEMPOTENT.has(method);
}

/**
 * Decides whether to make another attempt, in this order: the outcome must match a
 * condition; attempts must remain; the body must have been kept (at most 64 KiB); a
 * non-idempotent request must not have been sent (unless the policy allows, or the outcome is
 * a gRPC status the conditions list); the backoff
 * must end before the request deadline; and, last, the budget must yield a retry (only
 * then is one withdrawn).
 */
export function decideRetry(
  policy: RetryPolicy,
  budget: RetryBudget,
  request: RetryRequest,
  outcome: AttemptOutcome,
  random: Random,
): RetryDecision {
  if (!isRetryableOutcome(policy.conditions, outcome)) {
    return stop(outcome.type === 'response' && outcome.status < 500 ? 'success' : 'not-retryable');
  }
  if (request.attempt >= policy.attempts) return stop('attempts-exhausted');
  if (!request.bodyReplayable || request.bodyBytes > MAX_RETRY_BODY_BYTES) return stop('body-too-large');
  // A listed gRPC status is the route's own statement that the call may be repeated: every
  // gRPC call is a POST, and this is how gRPC's retryableStatusCodes work too.
  const grpcListed =
    outcome.type === 'response' &&
    outcome.grpcStatus !== undefined &&
    policy.conditions.grpcCodes.has(outcome.grpcStatus);
  if (request.sent && !grpcListed && !policy.nonIdempotent && !isIdempotent(request.method))
    return stop('non-idempotent');
  // After the first try (attempt 1) the retry waits up to `base`; each further failure doubles that.
  const delayMs = backoffDelayMs(policy.backoff, request.attempt - 1, random);
  if (request.remainingMs !== undefined && delayMs >= request.remainingMs) return stop('deadline');
  if (!budget.tryWithdraw()) return stop('budget-exhausted');
  return { type: 'retry', delayMs };
}

function stop(reason: RetryStopReason): RetryDecision {
  return { type: 'stop', reason };
}
