import type { RetryConfig } from '@weft/api';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { isWeftError } from '../errors.js';
import { seededRandom } from '../random.js';
import { RetryBudget } from './retry-budget.js';
import {
  type AttemptOutcome,
  compileRetryPolicy,
  decideRetry,
  isRetryableOutcome,
  type RetryRequest,
} from './retry-policy.js';

function config(overrides: Partial<RetryConfig> = {}): RetryConfig {
  return {
    attempts: 3,
    on: ['connect-failure', 'refused-stream', 'reset', 'gateway-error'],
    backoff: { baseMs: 25, maxMs: 250 },
    budget: { ratio: 0.2, minPerSecond: 10, ttlMs: 10_000 },
    nonIdempotent: false,
    ...overrides,
  };
}

const GET: RetryRequest = { method: 'GET', attempt: 1, bodyBytes: 0, bodyReplayable: true, sent: true };
const POST: RetryRequest = { ...GET, method: 'POST' };
const resp = (status: number, grpcStatus?: number): AttemptOutcome =>
  grpcStatus === undefined ? { type: 'response', status } : { type: 'response', status, grpcStatus };

function decide(cfg: RetryConfig, request: RetryRequest, outcome: AttemptOutcome, budget?: RetryBudget) {
  return decideRetry(
    compileRetryPolicy(cfg),
    budget ?? new RetryBudget({ ratio: 0.2, minPerSecond: 10, ttlMs: 10_000 }, new ManualClock()),
    request,
    outcome,
    seededRandom(1),
  );
}

describe('retry conditions', () => {
  it('maps each condition to the outcomes it covers', () => {
    const c = (on: string[]) => compileRetryPolicy(config({ on })).conditions;
    expect(isRetryableOutcome(c(['connect-failure']), { type: 'connect-failure' })).toBe(true);
    expect(isRetryableOutcome(c(['connect-failure']), { type: 'reset' })).toBe(false);
    expect(isRetryableOutcome(c(['refused-stream']), { type: 'refused-stream' })).toBe(true);
    expect(isRetryableOutcome(c(['reset']), { type: 'reset' })).toBe(true);
    expect(isRetryableOutcome(c(['5xx']), resp(500))).toBe(true);
    expect(isRetryableOutcome(c(['5xx']), { type: 'reset' })).toBe(true);
    expect(isRetryableOutcome(c(['5xx']), { type: 'timeout', kind: 'per-try' })).toBe(true);
    expect(isRetryableOutcome(c(['5xx', 'gateway-error']), { type: 'timeout', kind: 'request' })).toBe(false);
    expect(isRetryableOutcome(c(['5xx']), resp(404))).toBe(false);
    expect(isRetryableOutcome(c(['gateway-error']), resp(503))).toBe(true);
    expect(isRetryableOutcome(c(['gateway-error']), resp(500))).toBe(false);
    expect(isRetryableOutcome(c(['gateway-error']), { type: 'connect-failure' })).toBe(true);
    expect(isRetryableOutcome(c(['409']), resp(409))).toBe(true);
    expect(isRetryableOutcome(c(['409']), resp(503))).toBe(false);
    expect(isRetryableOutcome(c(['grpc:unavailable']), resp(200, 14))).toBe(true);
    expect(isRetryableOutcome(c(['grpc:unavailable']), resp(200, 13))).toBe(false);
    expect(isRetryableOutcome(c(['grpc:deadline-exceeded']), resp(200, 4))).toBe(true);
    expect(isRetryableOutcome(c(['5xx', 'connect-failure', 'gateway-error']), { type: 'rejected' })).toBe(
      false,
    );
  });

  it('rejects unknown conditions and bad numbers, naming the field', () => {
    const err = (cfg: RetryConfig) => {
      try {
        compileRetryPolicy(cfg, 'routes[0].retry');
      } catch (e) {
        expect(isWeftError(e, 'INVALID_CONFIG')).toBe(true);
        return (e as Error).message;
      }
      return 'accepted';
    };
    expect(err(config({ on: ['5xx', 'sometimes'] }))).toBe(
      'routes[0].retry.on[1]: unknown retry condition "sometimes"',
    );
    expect(err(config({ on: ['grpc:bogus'] }))).toMatch(/on\[0\]: unknown retry condition/);
    expect(err(config({ attempts: 0 }))).toMatch(/^routes\[0\]\.retry\.attempts/);
    expect(err(config({ backoff: { baseMs: 100, maxMs: 10 } }))).toMatch(/backoff/);
  });
});

describe('decideRetry', () => {
  it('retries a matching failure with a backoff delay', () => {
    const d = decide(config(), GET, { type: 'connect-failure' });
    expect(d.type).toBe('retry');
    if (d.type === 'retry') {
      expect(d.delayMs).toBeGreaterThanOrEqual(12.5);
      expect(d.delayMs).toBeLessThanOrEqual(25);
    }
  });

  it('stops on success and on non-matching failures', () => {
    expect(decide(config(), GET, resp(200))).toEqual({ type: 'stop', reason: 'success' });
    expect(decide(config(), GET, resp(500))).toEqual({ type: 'stop', reason: 'not-retryable' });
  });

  it('stops when attempts are exhausted', () => {
    expect(decide(config(), { ...GET, attempt: 3 }, { type: 'reset' })).toEqual({
      type: 'stop',
      reason: 'attempts-exhausted',
    });
    expect(decide(config({ attempts: 1 }), GET, { type: 'reset' })).toEqual({
      type: 'stop',
      reason: 'attempts-exhausted',
    });
  });

  it('does not retry a POST once sent, but does after a connect failure or refused stream', () => {
    expect(decide(config(), POST, resp(503))).toEqual({ type: 'stop', reason: 'non-idempotent' });
    expect(decide(config(), POST, { type: 'reset' })).toEqual({ type: 'stop', reason: 'non-idempotent' });
    expect(decide(config(), { ...POST, sent: false }, { type: 'connect-failure' }).type).toBe('retry');
    expect(decide(config(), { ...POST, sent: false }, { type: 'refused-stream' }).type).toBe('retry');
    expect(decide(config({ nonIdempotent: true }), POST, resp(503)).type).toBe('retry');
    for (const method of ['PUT', 'DELETE', 'HEAD', 'OPTIONS']) {
      expect(decide(config(), { ...GET, method }, resp(503)).type).toBe('retry');
    }
  });

  it('retries a gRPC call (a POST) on a listed gRPC status, but not on an HTTP status or reset', () => {
    const grpc = config({ on: ['grpc:unavailable', 'reset', '503'] });
    expect(decide(grpc, POST, resp(200, 14)).type).toBe('retry');
    expect(decide(grpc, POST, resp(200, 13))).toEqual({ type: 'stop', reason: 'success' });
    expect(decide(grpc, POST, resp(503))).toEqual({ type: 'stop', reason: 'non-idempotent' });
    expect(decide(grpc, POST, { type: 'reset' })).toEqual({ type: 'stop', reason: 'non-idempotent' });
    const big = { ...POST, bodyBytes: 100 * 1024, bodyReplayable: false };
    expect(decide(grpc, big, resp(200, 14))).toEqual({ type: 'stop', reason: 'body-too-large' });
  });

  it('does not retry a body over 64 KiB, even after a connect failure', () => {
    const big = { ...GET, method: 'PUT', bodyBytes: 100 * 1024, bodyReplayable: false, sent: false };
    expect(decide(config(), big, { type: 'connect-failure' })).toEqual({
      type: 'stop',
      reason: 'body-too-large',
    });
    expect(decide(config(), { ...GET, bodyBytes: 64 * 1024 }, { type: 'reset' }).type).toBe('retry');
  });

  it('does not retry when the backoff would outlast the request deadline', () => {
    expect(decide(config(), { ...GET, remainingMs: 5 }, { type: 'reset' })).toEqual({
      type: 'stop',
      reason: 'deadline',
    });
  });

  it('stops when the budget is spent and withdraws only for real retries', () => {
    const clock = new ManualClock();
    const budget = new RetryBudget({ ratio: 0, minPerSecond: 1, ttlMs: 1000 }, clock);
    expect(decide(config(), POST, resp(503), budget).type).toBe('stop'); // withdraws nothing
    expect(decide(config(), GET, resp(503), budget).type).toBe('retry');
    expect(decide(config(), GET, resp(503), budget)).toEqual({ type: 'stop', reason: 'budget-exhausted' });
  });
});
