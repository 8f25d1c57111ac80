/**
 * Spans of the request path, with @opentelemetry/api only: a server span per request the
 * proxy receives and a client span per attempt to forward it. Unsampled requests cost one
 * header parse: no span, no attributes, and their headers are forwarded untouched.
 */
import { createRequire } from 'node:module';
import {
  type Context,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapPropagator,
  TraceFlags,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { ATTR_ERROR_TYPE, ATTR_HTTP_RESPONSE_STATUS_CODE } from '@opentelemetry/semantic-conventions';
import { type Random, systemRandom } from '@weft/core';
import { markRootSampled, type TracingController, unsampledTraceparent } from '@weft/runtime';
import { headerSourceGetter, MeshPropagator, type TraceHeaders, traceHeadersSetter } from './propagation.js';
import {
  ATTR_WEFT_BACKEND_SERVICE,
  ATTR_WEFT_ROUTE,
  type AttemptInfo,
  clientSpanAttributes,
  type RouteInfo,
  serverSpanAttributes,
  spanName,
  type TracedRequest,
} from './span-attributes.js';

/** The span of one attempt to forward a request. */
export interface AttemptSpan {
  /**
   * Headers to send with this attempt, replacing every trace header the request arrived with;
   * undefined when the request is to be forwarded with its headers as they came.
   */
  readonly traceHeaders: TraceHeaders | undefined;
  /** Ends the attempt with the upstream's response status (4xx and 5xx mark it failed). */
  end(status: number): void;
  /** Ends the attempt without a response: `errorType` is a short stable code (`connect_error`, `timeout`). */
  fail(errorType: string, message: string): void;
}

/**
 * The span of one request through the proxy. Created by {@link RequestTracing.startRequest};
 * the layer that owns the request ends it exactly once.
 */
export interface RequestSpan {
  /** False for unsampled requests: callers may skip building anything only a span would read. */
  readonly recording: boolean;
  /** Records the route and backend the request was sent to. */
  setRoute(route: RouteInfo): void;
  /** Starts the span of one attempt (each retry is its own attempt). */
  startAttempt(attempt: AttemptInfo): AttemptSpan;
  /** Ends with the status sent to the client (5xx marks it failed). */
  end(status: number): void;
  /** Ends a request the proxy could not complete; `status` is what the client got, if anything. */
  fail(errorType: string, message: string, status?: number): void;
}

/** Starts request spans; one per proxy, swapped when the tracing config changes. */
export interface RequestTracing {
  startRequest(request: TracedRequest): RequestSpan;
}

const NOOP_ATTEMPT: AttemptSpan = { traceHeaders: undefined, end() {}, fail() {} };

/** The span of a request that is not traced: every method does nothing. */
export const NOOP_REQUEST_SPAN: RequestSpan = {
  recording: false,
  setRoute() {},
  startAttempt: () => NOOP_ATTEMPT,
  end() {},
  fail() {},
};

/** Tracing switched off: not even the headers are read. */
export const DISABLED_REQUEST_TRACING: RequestTracing = { startRequest: () => NOOP_REQUEST_SPAN };

/**
 * Ends `span` with the response status; from `errorFrom` on the status is an error (OpenTelemetry's
 * HTTP conventions: 4xx and 5xx for a client span, only 5xx for a server span).
 */
function endWithStatus(span: Span, status: number, errorFrom: 400 | 500): void {
  span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
  if (status >= errorFrom) {
    span.setAttribute(ATTR_ERROR_TYPE, String(status));
    span.setStatus({ code: SpanStatusCode.ERROR });
  }
  span.end();
}

class RecordingAttempt implements AttemptSpan {
  constructor(
    private readonly span: Span,
    readonly traceHeaders: TraceHeaders,
  ) {}

  end(status: number): void {
    endWithStatus(this.span, status, 400);
  }

  fail(errorType: string, message: string): void {
    this.span.setAttribute(ATTR_ERROR_TYPE, errorType);
    this.span.setStatus({ code: SpanStatusCode.ERROR, message });
    this.span.end();
  }
}

/** A new trace the sampler declined: nothing is recorded, but the decision travels downstream. */
class UnsampledRoot implements RequestSpan {
  readonly recording = false;
  private attempt: AttemptSpan | undefined;

  setRoute(): void {}

  startAttempt(): AttemptSpan {
    this.attempt ??= { traceHeaders: { traceparent: unsampledTraceparent() }, end() {}, fail() {} };
    return this.attempt;
  }

  end(): void {}
  fail(): void {}
}

class RecordingRequest implements RequestSpan {
  readonly recording = true;
  private route: RouteInfo | undefined;
  private readonly ctx: Context;

  constructor(
    private readonly span: Span,
    parent: Context,
    private readonly request: TracedRequest,
    private readonly tracer: Tracer,
    private readonly propagator: TextMapPropagator,
  ) {
    this.ctx = trace.setSpan(parent, span);
  }

  setRoute(route: RouteInfo): void {
    this.route = route;
    this.span.setAttribute(ATTR_WEFT_ROUTE, route.route);
    this.span.setAttribute(ATTR_WEFT_BACKEND_SERVICE, route.backend);
  }

  startAttempt(attempt: AttemptInfo): AttemptSpan {
    const span = this.tracer.startSpan(
      spanName(this.request.method),
      { kind: SpanKind.CLIENT, attributes: clientSpanAttributes(this.request, attempt, this.route) },
      this.ctx,
    );
    const headers: Record<string, string> = {};
    this.propagator.inject(trace.setSpan(this.ctx, span), headers, traceHeadersSetter);
    return new RecordingAttempt(span, headers);
  }

  end(status: number): void {
    endWithStatus(this.span, status, 500);
  }

  fail(errorType: string, message: string, status?: number): void {
    if (status !== undefined) this.span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
    this.span.setAttribute(ATTR_ERROR_TYPE, errorType);
    this.span.setStatus({ code: SpanStatusCode.ERROR, message });
    this.span.end();
  }
}

// @opentelemetry/core is loaded on first use (only with tracing on; see propagation.ts).
const lazyRequire = createRequire(import.meta.url);
let parseTraceParent: typeof import('@opentelemetry/core').parseTraceParent | undefined;

/** True for a valid `traceparent` whose sampled flag is clear. */
export function isUnsampledTraceparent(value: string): boolean {
  parseTraceParent ??= (lazyRequire('@opentelemetry/core') as typeof import('@opentelemetry/core'))
    .parseTraceParent;
  const parsed = parseTraceParent(value);
  return parsed !== null && (parsed.traceFlags & TraceFlags.SAMPLED) === 0;
}

/** Options of {@link RequestTracer}. */
export interface RequestTracerOptions {
  /**
   * The tracer of the binary's tracing pipeline. Its sampler must record roots marked with
   * `markRootSampled` (the pipeline's sampler does); parents decide for their children.
   */
  readonly tracer: Tracer;
  /** Fraction (0..1) of requests without a trace context that start a sampled trace. */
  readonly sampling: number;
  /** Draws the root sampling decisions. Default: Math.random. */
  readonly random?: Random;
  /** Defaults to {@link MeshPropagator} (W3C + B3). */
  readonly propagator?: TextMapPropagator;
}

/** Request tracing with a live tracer. */
export class RequestTracer implements RequestTracing {
  private readonly tracer: Tracer;
  private readonly sampling: number;
  private readonly random: Random;
  private readonly propagator: TextMapPropagator;

  constructor(options: RequestTracerOptions) {
    this.tracer = options.tracer;
    this.sampling = options.sampling;
    this.random = options.random ?? systemRandom;
    this.propagator = options.propagator ?? new MeshPropagator();
  }

  startRequest(request: TracedRequest): RequestSpan {
    // Fast path: a valid unsampled traceparent (which wins over B3) decides with one parse.
    const traceparent = request.header('traceparent');
    if (traceparent !== undefined && isUnsampledTraceparent(traceparent)) return NOOP_REQUEST_SPAN;
    const parent = this.propagator.extract(ROOT_CONTEXT, request, headerSourceGetter);
    const parentSpan = trace.getSpanContext(parent);
    let span: Span;
    if (parentSpan !== undefined) {
      // Parent-based sampling: an unsampled parent decides for us, and its headers go on as they came.
      if ((parentSpan.traceFlags & TraceFlags.SAMPLED) === 0) return NOOP_REQUEST_SPAN;
      span = this.tracer.startSpan(spanName(request.method), { kind: SpanKind.SERVER }, parent);
    } else {
      if (this.random.next() >= this.sampling) return new UnsampledRoot();
      span = this.tracer.startSpan(
        spanName(request.method),
        { kind: SpanKind.SERVER },
        markRootSampled(parent),
      );
    }
    if (!span.isRecording()) return NOOP_REQUEST_SPAN;
    span.setAttributes(serverSpanAttributes(request));
    return new RecordingRequest(span, parent, request, this.tracer, this.propagator);
  }
}

/**
 * Request tracing that follows a binary's TracingController: a RequestTracer over its current
 * pipeline, built again when the pipeline changes (a mesh config push), off while tracing is off.
 */
export class ControllerRequestTracing implements RequestTracing {
  private pipeline: TracingController['pipeline'];
  private requests: RequestTracing = DISABLED_REQUEST_TRACING;

  constructor(private readonly controller: TracingController) {
    // At start, not on the first request: a RequestTracer loads the propagators.
    this.follow();
  }

  startRequest(request: TracedRequest): RequestSpan {
    this.follow();
    return this.requests.startRequest(request);
  }

  private follow(): void {
    const current = this.controller.pipeline;
    if (current === this.pipeline) return;
    this.pipeline = current;
    this.requests =
      current === undefined
        ? DISABLED_REQUEST_TRACING
        : new RequestTracer({ tracer: current.tracer, sampling: current.sampling });
  }
}
