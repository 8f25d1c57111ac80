/**
 * The traffic path of one request, as a state machine driven by callbacks (no promise and no
 * AbortController per request): route -> split -> limits -> (balance -> attempt -> outlier
 * accounting -> retry decision -> backoff)* -> relay or fail. The same machine carries a
 * request to a fixed upstream (inbound, egress) with one attempt, where its only extra is the
 * resend after a stale keep-alive connection. Decisions come from @weft/core's RetryLoop;
 * protocol code plugs in through {@link AttemptChannel}.
 */
import {
  type AcquireResult,
  type AttemptOutcome,
  type AttemptTimer,
  type Clock,
  compileRetryPolicy,
  DEFAULT_BACKOFF,
  DEFAULT_RETRY_BUDGET,
  type Permit,
  type Random,
  type RetryHost,
  RetryLoop,
  type RetryLoopSettings,
  type RetryPolicy,
  type RetryResult,
  type TimeoutKind,
  type TimerHandle,
  timeoutMessage,
  type WeftError,
} from '@weft/core';
import type { AttemptChannel, AttemptObserver, Exchange, ResponseOutcome } from '../layers/types.js';
import type { UpstreamTarget } from '../net/upstream-target.js';
import type { DestinationTraffic } from './destination-traffic.js';
import {
  ClientGoneError,
  NoBackendError,
  NoRouteError,
  TimeoutError,
  UnavailableError,
  UpstreamFailedError,
} from './errors.js';
import type { BackendCounters, TrafficCounters } from './traffic-metrics.js';

/** An attempt's destination: a balanced endpoint (PlannedEndpoint) or a fixed upstream. */
export interface Targeted {
  readonly target: UpstreamTarget;
}

/** What every call of one proxy shares. */
export interface TrafficCallDeps {
  readonly clock: Clock;
  readonly random: Random;
  /** Pre-resolved metric handles; absent in unit tests. */
  readonly counters?: TrafficCounters;
}

/** One attempt, no retries: the fixed-upstream path (only a stale keep-alive connection is resent). */
const SINGLE_ATTEMPT = compileRetryPolicy({
  attempts: 1,
  on: [],
  backoff: DEFAULT_BACKOFF,
  budget: DEFAULT_RETRY_BUDGET,
  nonIdempotent: false,
});

/** Loop settings of each fixed upstream target, kept while the target object lives. */
const fixedSettings = new WeakMap<UpstreamTarget, RetryLoopSettings<Targeted>>();

const TIMEOUTS: Record<TimeoutKind, AttemptOutcome> = {
  'per-try': { type: 'timeout', kind: 'per-try' },
  request: { type: 'timeout', kind: 'request' },
};

enum CallState {
  New = 0,
  Queued = 1,
  Attempting = 2,
  Relaying = 3,
  Over = 4,
}

/** One request's traffic path. Create, then `startBalanced` or `startFixed`. */
export class TrafficCall implements RetryHost<Targeted>, AttemptObserver {
  private state = CallState.New;
  private channel!: AttemptChannel;
  private loop!: RetryLoop<Targeted>;
  private permit: Permit | undefined;
  private timer: TimerHandle | undefined;
  private timerKind: TimeoutKind = 'per-try';
  private error: WeftError | undefined;
  private backend = '';
  private counters: BackendCounters | undefined;
  private perTryMs = 0;
  private requestMs = 0;
  private traffic: DestinationTraffic | undefined;
  private readonly onTimer = () => this.timedOut();

  constructor(
    readonly exchange: Exchange,
    private readonly deps: TrafficCallDeps,
  ) {}

  // ---- starting ----

  /**
   * Routes, splits and balances over `traffic` (the destination's state) with retries, after
   * `channel` was opened for this call. Answers the client on any failure.
   */
  startBalanced(traffic: DestinationTraffic, channel: AttemptChannel, route: RouteChoice): void {
    this.channel = channel;
    this.traffic = traffic;
    this.backend = route.backend;
    this.counters = this.deps.counters?.backend(route.backend);
    this.perTryMs = route.retry.perTryTimeoutMs ?? 0;
    const timeoutMs = shorter(route.timeoutMs, channel.clientTimeoutMs);
    this.requestMs = Number.isNaN(timeoutMs) ? 0 : timeoutMs;
    const deadline = Number.isNaN(timeoutMs) ? Number.NaN : this.deps.clock.monotonic() + timeoutMs;
    this.loop = new RetryLoop<Targeted>(
      {
        balancer: route.balancer,
        policy: route.retry,
        budget: traffic.budget,
        clock: this.deps.clock,
        random: this.deps.random,
      },
      this,
      this.exchange.method,
      deadline,
    );
    const now = traffic.limiter.tryAcquire();
    if (now !== undefined) {
      this.admitted(now);
      return;
    }
    // Queued behind maxRequests (the slow path): a promise is fine here.
    this.state = CallState.Queued;
    void traffic.limiter.acquire().then((r) => this.admitted(r));
  }

  /** One attempt to `upstream` (inbound app, egress): resent once only after a stale connection. */
  startFixed(upstream: UpstreamTarget, channel: AttemptChannel): void {
    this.channel = channel;
    // The settings are per upstream target (one per client connection), not per request.
    let settings = fixedSettings.get(upstream);
    if (settings === undefined) {
      settings = {
        fixed: { target: upstream },
        policy: SINGLE_ATTEMPT,
        clock: this.deps.clock,
        random: this.deps.random,
      };
      fixedSettings.set(upstream, settings);
    }
    this.loop = new RetryLoop<Targeted>(settings, this, this.exchange.method);
    this.state = CallState.Attempting;
    this.loop.start();
  }

  private admitted(r: AcquireResult): void {
    if (r.type === 'rejected') {
      this.state = CallState.Over;
      this.channel.close();
      if (r.reason !== 'aborted') this.exchange.fail(new UnavailableError(`${this.backend}: ${r.message}`));
      return;
    }
    if (this.state === CallState.Over) {
      r.permit.release(); // the client left while queued
      return;
    }
    this.permit = r.permit;
    this.state = CallState.Attempting;
    this.loop.start();
  }

  // ---- RetryHost ----

  get bodyBytes(): number {
    return this.channel.bodyBytes;
  }

  get bodyReplayable(): boolean {
    return this.channel.bodyReplayable;
  }

  sendAttempt(endpoint: Targeted, attempt: number, timer: AttemptTimer, fresh: boolean): void {
    if (timer.type === 'timer') {
      this.timerKind = timer.kind;
      this.timer = this.deps.clock.setTimeout(this.onTimer, timer.ms);
    }
    // A resend after a stale connection continues the same attempt (and its span).
    if (!fresh) this.exchange.telemetry?.attemptStarted(endpoint.target, attempt);
    this.channel.send(endpoint.target, attempt, fresh);
  }

  staleResent(): void {
    this.deps.counters?.staleResend(this.exchange.direction);
  }

  retryDone(result: RetryResult): void {
    const c = this.counters;
    if (c !== undefined) {
      if (result.attempts > 1) c.retried(result.attempts - 1);
      if (result.type === 'response' && result.stop !== 'success') c.stopped(result.stop);
    }
    if (result.type === 'response' && result.outcome.type === 'response') return; // relaying
    this.state = CallState.Over;
    this.release();
    this.channel.close();
    if (result.type === 'aborted') return;
    this.exchange.fail(this.failure(result));
  }

  // ---- AttemptObserver ----

  head(outcome: ResponseOutcome): boolean {
    if (this.state !== CallState.Attempting) return false;
    this.clearTimer();
    this.counters?.attempt(outcome);
    const relay = this.loop.decide(outcome, true).type === 'stop';
    if (relay) this.state = CallState.Relaying;
    this.exchange.telemetry?.attemptEnded(outcome);
    this.loop.settle(outcome, true);
    return relay;
  }

  failed(outcome: AttemptOutcome, sent: boolean, error: WeftError, stale: boolean): void {
    if (this.state !== CallState.Attempting) return;
    this.clearTimer();
    this.error = error;
    const resend = stale && this.loop.resendsStale();
    if (!resend) {
      this.counters?.attempt(outcome);
      this.exchange.telemetry?.attemptEnded(outcome, error.message);
    }
    this.loop.settle(outcome, sent, stale);
  }

  ended(): void {
    if (this.state === CallState.Relaying) this.state = CallState.Over;
    this.release();
  }

  clientGone(): void {
    this.clearTimer();
    if (this.state === CallState.Relaying || this.state === CallState.Over) {
      this.ended();
      return;
    }
    if (this.state === CallState.Queued) {
      this.state = CallState.Over;
      this.channel.close();
      return;
    }
    if (this.state === CallState.Attempting) this.loop.abort();
  }

  // ---- internals ----

  private timedOut(): void {
    this.timer = undefined;
    if (this.state !== CallState.Attempting) return;
    const sent = this.channel.sent;
    this.channel.cancelAttempt();
    const outcome = TIMEOUTS[this.timerKind];
    this.counters?.attempt(outcome);
    this.exchange.telemetry?.attemptEnded(outcome);
    this.loop.settle(outcome, sent);
  }

  private clearTimer(): void {
    const t = this.timer;
    if (t === undefined) return;
    this.timer = undefined;
    t.cancel();
  }

  private release(): void {
    const p = this.permit;
    this.permit = undefined;
    p?.release();
  }

  /** The error a request ends with when no response is relayed. */
  private failure(result: RetryResult): WeftError {
    if (this.traffic === undefined) {
      // The fixed path: the protocol's own error, as a single forward would answer it.
      // A fixed attempt has no timer of its own: a timeout comes from an observer over this call
      // (the gateway's route timeout, fixed-timeout.ts), whose error names the bound.
      if (result.type === 'response' && result.outcome.type === 'timeout')
        return this.error ?? new TimeoutError(timeoutMessage(result.outcome.kind, this.requestMs));
      return this.error ?? new UpstreamFailedError('upstream failed before a response');
    }
    const backend = this.backend;
    const attempts = result.attempts;
    switch (result.type) {
      case 'unavailable':
        return new UnavailableError(`${backend}: ${result.message}`);
      case 'deadline':
        return new TimeoutError(timeoutMessage('request', this.requestMs));
      case 'aborted':
        return new ClientGoneError();
      case 'response':
        break;
    }
    const outcome = result.outcome;
    const tries = attempts === 1 ? '1 attempt' : `${attempts} attempts`;
    const detail = this.error === undefined ? '' : `: ${this.error.message}`;
    switch (outcome.type) {
      case 'timeout': {
        const ms = outcome.kind === 'per-try' ? this.perTryMs : this.requestMs;
        return new TimeoutError(timeoutMessage(outcome.kind, ms));
      }
      case 'connect-failure':
        return new UnavailableError(`${backend}: connection failed (${tries})${detail}`);
      case 'rejected':
        return new UnavailableError(`${backend}${detail || ': connection refused by the proxy'}`);
      case 'refused-stream':
        return new UnavailableError(`${backend}: stream refused (${tries})${detail}`);
      default:
        return new UpstreamFailedError(`${backend}: connection reset before a response (${tries})${detail}`);
    }
  }
}

/** The route and backend a request was given, with what the loop needs of them. */
export interface RouteChoice {
  readonly backend: string;
  readonly balancer: NonNullable<ReturnType<DestinationTraffic['balancer']>>;
  readonly retry: RetryPolicy;
  /** The route's request timeout (NaN: none). */
  readonly timeoutMs: number;
}

/**
 * Selects the route and backend of `exchange` on `traffic`: a route choice, or the error to
 * answer with (404 no route, 503 all-zero split or unknown backend).
 */
export function chooseRoute(
  traffic: DestinationTraffic,
  exchange: Exchange,
  random: Random,
): RouteChoice | WeftError {
  const plan = traffic.plan;
  const selection = plan.select(exchange, random);
  if (selection.type === 'no-route') return new NoRouteError(plan.authority, exchange.method, exchange.path);
  const routeName = selection.route.route.name;
  if (selection.type === 'no-backend')
    return new NoBackendError(`every backend of route ${routeName} has weight 0`);
  const backend = selection.backend;
  exchange.telemetry?.routed(routeName, backend);
  const balancer = traffic.balancer(backend);
  if (balancer === undefined) return new NoBackendError(`route ${routeName}: unknown backend ${backend}`);
  return {
    backend,
    balancer,
    retry: selection.route.retry,
    timeoutMs: selection.route.timeoutMs ?? Number.NaN,
  };
}

function shorter(a: number, b: number): number {
  return Number.isNaN(a) ? b : Number.isNaN(b) ? a : Math.min(a, b);
}
