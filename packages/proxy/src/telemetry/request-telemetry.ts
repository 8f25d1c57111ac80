/**
 * The telemetry of one request through the proxy: its server span, a client span per attempt,
 * and its golden metrics when it ends. Created by the telemetry layer (layers/telemetry.ts); the protocol code
 * reports the response (`responded`) and the end (`finished`), and reads `traceHeaders` when
 * it writes the request upstream.
 */
import type { AttemptOutcome, WeftError } from '@weft/core';
import type { Exchange, ExchangeTelemetry } from '../layers/types.js';
import type { UpstreamTarget } from '../net/upstream-target.js';
import type { TraceHeaders } from './propagation.js';
import type { RequestMetrics } from './request-metrics.js';
import type { AttemptSpan, RequestSpan, RequestTracing } from './request-tracing.js';

/** What the request path's telemetry needs; one per proxy. */
export interface TelemetryDeps {
  readonly tracing: RequestTracing;
  readonly metrics: RequestMetrics;
  /** Monotonic ms (`performance.now`), the clock of `Exchange.startedAt`. */
  readonly now?: () => number;
}

/**
 * What protocol code tells a request's telemetry. Implemented by {@link RequestTelemetry};
 * every method may be called more than once and acts once.
 */
export interface RequestObserver {
  /** Trace headers for the request being written upstream now; undefined: forward as arrived. */
  readonly traceHeaders: TraceHeaders | undefined;
  /** The response head went to the client (`error` set for a response made by the proxy). */
  responded(status: number, error?: WeftError): void;
  /** The exchange is over (response complete, or the client or upstream went away). */
  finished(): void;
}

/** A short stable `error.type` for an error made by the proxy. */
function errorType(error: WeftError): string {
  return error.code.toLowerCase();
}

const defaultNow = () => performance.now();

/** The telemetry of one request. */
export class RequestTelemetry implements RequestObserver, ExchangeTelemetry {
  private readonly span: RequestSpan;
  private attempt: AttemptSpan | undefined;
  private attemptUpstream: UpstreamTarget | undefined;
  private status = 0;
  private error: WeftError | undefined;
  private grpc: number | undefined;
  private done = false;
  private route = '';

  constructor(
    private readonly deps: TelemetryDeps,
    private readonly req: Exchange,
  ) {
    this.span = deps.tracing.startRequest(req);
  }

  get traceHeaders(): TraceHeaders | undefined {
    return this.attempt?.traceHeaders;
  }

  /** Records the matched route and the backend the split chose. */
  routed(route: string, backend: string): void {
    this.route = route;
    this.span.setRoute({ route, backend });
  }

  /** An attempt to `upstream` starts (1 for the first; each retry is a new attempt). */
  attemptStarted(upstream: UpstreamTarget, attempt: number): void {
    this.closeAttempt();
    this.attemptUpstream = upstream;
    this.attempt = this.span.startAttempt({
      attempt,
      address: upstream.address,
      port: upstream.meshedPort > 0 ? upstream.meshedPort : upstream.port,
      mtls: upstream.meshedPort > 0,
      identity: upstream.identity === '' ? undefined : upstream.identity,
    });
  }

  /** The current attempt got a response head with `status` (it may still be retried). */
  attemptResponded(status: number): void {
    this.attempt?.end(status);
    this.attempt = undefined;
  }

  /** The current attempt ended as the traffic path judged it (a response, or why none came). */
  attemptEnded(outcome: AttemptOutcome, detail?: string): void {
    switch (outcome.type) {
      case 'response':
        this.attemptResponded(outcome.status);
        return;
      case 'timeout':
        this.attemptFailed('timeout', detail ?? `${outcome.kind} timeout`);
        return;
      case 'connect-failure':
        this.attemptFailed('connect_error', detail ?? 'connection failed');
        return;
      default:
        this.attemptFailed(outcome.type.replace(/-/g, '_'), detail ?? outcome.type);
    }
  }

  /** The current attempt ended without a response. */
  attemptFailed(type: string, message: string): void {
    this.attempt?.fail(type, message);
    this.attempt = undefined;
  }

  responded(status: number, error?: WeftError): void {
    if (this.done || this.status !== 0) return;
    this.status = status;
    this.error = error;
    if (error !== undefined) this.attemptFailed(errorType(error), error.message);
    else this.attemptResponded(status);
  }

  /** The gRPC status of the response (its trailers, or headers for trailers-only responses). */
  grpcStatus(code: number): void {
    if (!this.done && Number.isInteger(code)) this.grpc = code;
  }

  finished(): void {
    if (this.done) return;
    this.done = true;
    this.closeAttempt();
    const grpcFailed = this.grpc !== undefined && this.grpc !== 0;
    if (this.error !== undefined) this.span.fail(errorType(this.error), this.error.message, this.status);
    else if (this.status === 0) this.span.fail('aborted', 'the exchange ended before a response');
    else if (grpcFailed) this.span.fail(`grpc_${this.grpc}`, `gRPC status ${this.grpc}`, this.status);
    else this.span.end(this.status);
    const req = this.req;
    const inbound = req.direction === 'inbound';
    const upstream = this.attemptUpstream;
    const series = this.deps.metrics.series({
      direction: req.direction,
      authority: this.authority(),
      route: this.route,
      peerIdentity: inbound ? (req.peer.identity ?? '') : (upstream?.identity ?? ''),
      tls: inbound ? req.peer.identity !== undefined : (upstream?.meshedPort ?? 0) > 0,
    });
    series.record(this.status, (this.deps.now ?? defaultNow)() - req.startedAt, grpcFailed);
  }

  private authority(): string {
    return this.req.destination?.authority ?? this.req.authority;
  }

  private closeAttempt(): void {
    if (this.attempt === undefined) return;
    this.attemptFailed('aborted', 'the attempt ended without a response');
  }
}
