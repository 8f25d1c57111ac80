/**
 * The outbound traffic path of one HTTP request: route -> split -> limits -> (balance ->
 * attempt -> outlier accounting -> retry decision -> backoff)* -> relay or fail. Protocol
 * code plugs in through {@link Exchange}; decisions come from @weft/core.
 */
import {
  ATTEMPT_HEADER,
  type AttemptOutcome,
  type AttemptTimer,
  type Clock,
  type Random,
  type RetryDecision,
  type RetryLoopResult,
  type RouteRequest,
  runWithRetries,
  timeoutMessage,
  type WeftError,
} from '@weft/core';
import type { DestinationTraffic, EndpointMessage } from './destination-traffic.js';
import {
  ClientGoneError,
  NoBackendError,
  NoRouteError,
  TimeoutError,
  UnavailableError,
  UpstreamFailedError,
} from './errors.js';
import type { TrafficMetrics } from './traffic-metrics.js';

export { ATTEMPT_HEADER };

/** How one attempt ended, with a way to relay or drop its response. */
export interface AttemptResponse {
  readonly outcome: AttemptOutcome;
  /** False when nothing reached the upstream (connect failure, refused stream). */
  readonly sent: boolean;
  /** Why the attempt failed without a response (the dial or stream error), for the client's error body. */
  readonly detail?: string;
  /**
   * Sends this attempt's response to the client (only for `response` outcomes; a protocol
   * that relayed it already when `judge` said so just waits); resolves when the response has
   * been relayed or the client went away. Never rejects.
   */
  relay(): Promise<void>;
  /** Drops this attempt's response (it will be retried). */
  discard(): void;
}

/** Tells a protocol, at the moment it knows an attempt's outcome, whether the attempt is final. */
export type AttemptJudge = (outcome: AttemptOutcome, sent: boolean) => RetryDecision;

/**
 * One request as a protocol (HTTP/1, HTTP/2) exposes it to the traffic path. The protocol
 * buffers the body for replay (up to 64 KiB) and holds each response until told to relay it.
 */
export interface Exchange {
  readonly request: RouteRequest;
  /**
   * Sends attempt `attempt` (1-based; set in the {@link ATTEMPT_HEADER} header) to `endpoint`,
   * arming `timer` until the response head. Resolves when the response head arrives or the
   * attempt fails; never rejects. May call `judge` at that moment (see {@link AttemptJudge}).
   */
  attempt(
    endpoint: EndpointMessage,
    attempt: number,
    timer: AttemptTimer,
    judge: AttemptJudge,
  ): Promise<AttemptResponse>;
  /** Body bytes seen so far and whether all are held for a replay. */
  body(): { readonly bytes: number; readonly replayable: boolean };
  /**
   * A timeout the client set on the request itself (gRPC's `grpc-timeout`), in ms: the request
   * timeout is the shorter of it and the route's.
   */
  readonly clientTimeoutMs?: number;
  /** Set when the client went away: no further attempts are made. */
  readonly signal?: AbortSignal;
  /** Told the route and backend chosen, before the first attempt (telemetry). */
  routed?(route: string, backend: string): void;
}

/** How the traffic path ended. */
export type TrafficResult =
  | { readonly type: 'relayed'; readonly backend: string; readonly attempts: number }
  | {
      readonly type: 'failed';
      readonly error: WeftError;
      readonly backend?: string;
      readonly attempts: number;
    };

export interface TrafficPathDeps {
  readonly clock: Clock;
  readonly random: Random;
  readonly metrics?: TrafficMetrics;
}

/** Runs the traffic path for one request on `traffic` (the destination's state). Never rejects. */
export async function sendThroughTraffic(
  traffic: DestinationTraffic,
  exchange: Exchange,
  deps: TrafficPathDeps,
  startedAt = deps.clock.monotonic(),
): Promise<TrafficResult> {
  const plan = traffic.plan;
  const req = exchange.request;
  const selection = plan.select(req, deps.random);
  if (selection.type === 'no-route') {
    return { type: 'failed', error: new NoRouteError(plan.authority, req.method, req.path), attempts: 0 };
  }
  const routeName = selection.route.route.name;
  if (selection.type === 'no-backend') {
    return {
      type: 'failed',
      error: new NoBackendError(`every backend of route ${routeName} has weight 0`),
      attempts: 0,
    };
  }
  const backend = selection.backend;
  exchange.routed?.(routeName, backend);
  const balancer = traffic.balancer(backend);
  if (balancer === undefined) {
    return {
      type: 'failed',
      error: new NoBackendError(`route ${routeName}: unknown backend ${backend}`),
      backend,
      attempts: 0,
    };
  }
  const admitted = await traffic.limiter.acquire(exchange.signal);
  if (admitted.type === 'rejected') {
    return {
      type: 'failed',
      error: new UnavailableError(`${backend}: ${admitted.message}`),
      backend,
      attempts: 0,
    };
  }
  let release = true;
  try {
    const timeoutMs = shorter(selection.route.timeoutMs, exchange.clientTimeoutMs);
    const result = await runWithRetries<EndpointMessage, AttemptResponse>({
      balancer,
      policy: selection.route.retry,
      budget: traffic.budget,
      clock: deps.clock,
      random: deps.random,
      method: req.method,
      ...(timeoutMs === undefined ? {} : { requestDeadline: startedAt + timeoutMs }),
      body: () => exchange.body(),
      send: async (endpoint, attempt, timer, judge) => {
        const response = await exchange.attempt(endpoint.value, attempt, timer, judge);
        deps.metrics?.attempts.inc({ backend, outcome: outcomeLabel(response.outcome) });
        return { outcome: response.outcome, sent: response.sent, value: response };
      },
      discard: (response) => response.discard(),
      sleep: (ms) => sleep(deps.clock, ms, exchange.signal),
      ...(exchange.signal === undefined ? {} : { signal: exchange.signal }),
    });
    const metrics = deps.metrics;
    if (metrics !== undefined) {
      if (result.attempts > 1) metrics.retries.inc({ backend }, result.attempts - 1);
      if (result.type === 'response' && result.stop !== 'success')
        metrics.retryStops.inc({ backend, reason: result.stop });
    }
    if (result.type === 'response' && result.last.outcome.type === 'response') {
      // The request stays active (counted by the limiter) until its response is relayed.
      release = false;
      void result.last.value.relay().finally(() => admitted.permit.release());
      return { type: 'relayed', backend, attempts: result.attempts };
    }
    return failure(result, backend, selection.route.retry.perTryTimeoutMs, timeoutMs);
  } finally {
    if (release) admitted.permit.release();
  }
}

function shorter(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}

/** A metrics label for an attempt's outcome: the status class, a failed gRPC status, or the failure kind. */
function outcomeLabel(outcome: AttemptOutcome): string {
  if (outcome.type !== 'response') return outcome.type;
  const grpc = outcome.grpcStatus;
  return grpc !== undefined && grpc !== 0 ? `grpc-${grpc}` : `${Math.floor(outcome.status / 100)}xx`;
}

/** The error a request ends with when no response is relayed. */
function failure(
  result: RetryLoopResult<AttemptResponse>,
  backend: string,
  perTryMs: number | undefined,
  requestMs: number | undefined,
): TrafficResult {
  const attempts = result.attempts;
  switch (result.type) {
    case 'unavailable':
      return {
        type: 'failed',
        error: new UnavailableError(`${backend}: ${result.message}`),
        backend,
        attempts,
      };
    case 'deadline':
      return {
        type: 'failed',
        error: new TimeoutError(timeoutMessage('request', requestMs ?? 0)),
        backend,
        attempts,
      };
    case 'aborted':
      return { type: 'failed', error: new ClientGoneError(), backend, attempts };
    case 'response':
      break;
  }
  const outcome = result.last.outcome;
  const tries = attempts === 1 ? '1 attempt' : `${attempts} attempts`;
  const detail = result.last.value.detail === undefined ? '' : `: ${result.last.value.detail}`;
  const fail = (error: WeftError): TrafficResult => ({ type: 'failed', error, backend, attempts });
  switch (outcome.type) {
    case 'response':
      throw new Error('a response outcome is relayed, not failed');
    case 'timeout': {
      const ms = outcome.kind === 'per-try' ? (perTryMs ?? 0) : (requestMs ?? 0);
      return { type: 'failed', error: new TimeoutError(timeoutMessage(outcome.kind, ms)), backend, attempts };
    }
    case 'connect-failure':
      return fail(new UnavailableError(`${backend}: connection failed (${tries})${detail}`));
    case 'rejected':
      return fail(new UnavailableError(`${backend}${detail || ': connection refused by the proxy'}`));
    case 'refused-stream':
      return fail(new UnavailableError(`${backend}: stream refused (${tries})${detail}`));
    case 'reset':
      return fail(
        new UpstreamFailedError(`${backend}: connection reset before a response (${tries})${detail}`),
      );
  }
}

/** Waits `ms` on the injected clock; ends early when the client goes away. */
function sleep(clock: Clock, ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      timer.cancel();
      resolve();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
