/**
 * Trace context in HTTP headers: W3C `traceparent`/`tracestate` and B3 (single `b3` header
 * and multi `X-B3-*` headers), extracted from requests and injected into forwarded ones.
 */
import { createRequire } from 'node:module';
import {
  type Context,
  createContextKey,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
  trace,
} from '@opentelemetry/api';
import type { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { B3Propagator } from '@opentelemetry/propagator-b3';

// The propagators (@opentelemetry/core and propagator-b3, a few MB resident) are needed only
// when tracing is on: loaded by the first MeshPropagator. CommonJS, so a synchronous require.
const lazyRequire = createRequire(import.meta.url);

/** The B3 encoding a request arrived with; forwarded requests carry B3 in the same one. */
export type B3Encoding = 'b3-single' | 'b3-multi';

const B3_ENCODING_KEY = createContextKey('weft.b3-encoding');

/** Header names any of the formats may write (lowercase). */
export const TRACE_HEADERS: readonly string[] = [
  'traceparent',
  'tracestate',
  'b3',
  'x-b3-traceid',
  'x-b3-spanid',
  'x-b3-parentspanid',
  'x-b3-sampled',
  'x-b3-flags',
];

/** The B3 encoding recorded in `context` by {@link MeshPropagator.extract}, if any. */
export function b3EncodingOf(context: Context): B3Encoding | undefined {
  return context.getValue(B3_ENCODING_KEY) as B3Encoding | undefined;
}

/**
 * A composite propagator. Extraction reads B3 (either encoding) and then W3C, so that
 * `traceparent` wins when a request carries both. Injection always writes W3C, and B3 in the
 * encoding the request arrived with, so that apps which forward only B3 headers stay in the trace.
 */
export class MeshPropagator implements TextMapPropagator {
  private readonly w3c: W3CTraceContextPropagator;
  private readonly b3Single: B3Propagator;
  private readonly b3Multi: B3Propagator;

  constructor() {
    const core = lazyRequire('@opentelemetry/core') as typeof import('@opentelemetry/core');
    const b3 = lazyRequire('@opentelemetry/propagator-b3') as typeof import('@opentelemetry/propagator-b3');
    this.w3c = new core.W3CTraceContextPropagator();
    this.b3Single = new b3.B3Propagator({ injectEncoding: b3.B3InjectEncoding.SINGLE_HEADER });
    this.b3Multi = new b3.B3Propagator({ injectEncoding: b3.B3InjectEncoding.MULTI_HEADER });
  }

  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    let ctx = context;
    if (getter.get(carrier, 'b3') !== undefined) {
      ctx = this.b3Single.extract(ctx, carrier, getter);
      if (trace.getSpanContext(ctx) !== undefined) ctx = ctx.setValue(B3_ENCODING_KEY, 'b3-single');
    } else if (getter.get(carrier, 'x-b3-traceid') !== undefined) {
      ctx = this.b3Multi.extract(ctx, carrier, getter);
      if (trace.getSpanContext(ctx) !== undefined) ctx = ctx.setValue(B3_ENCODING_KEY, 'b3-multi');
    }
    if (getter.get(carrier, 'traceparent') !== undefined) ctx = this.w3c.extract(ctx, carrier, getter);
    return ctx;
  }

  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    this.w3c.inject(context, carrier, setter);
    const encoding = b3EncodingOf(context);
    if (encoding === 'b3-single') this.b3Single.inject(context, carrier, setter);
    else if (encoding === 'b3-multi') this.b3Multi.inject(context, carrier, setter);
  }

  fields(): string[] {
    return [...TRACE_HEADERS];
  }
}

/** Anything that reads request headers by lowercase name (the proxy's requests do). */
export interface HeaderSource {
  header(lower: string): string | undefined;
}

/** The getter for {@link HeaderSource} carriers. */
export const headerSourceGetter: TextMapGetter<HeaderSource> = {
  get: (carrier, key) => carrier.header(key),
  // Only used by propagators that enumerate headers (baggage); W3C and B3 never do.
  keys: () => [],
};

/**
 * Trace headers for a forwarded request: they replace every header named in
 * {@link TRACE_HEADERS} that the request arrived with (lowercase names).
 */
export type TraceHeaders = Readonly<Record<string, string>>;

/** Collects injected headers into a plain record. */
export const traceHeadersSetter: TextMapSetter<Record<string, string>> = {
  set(carrier, key, value) {
    carrier[key] = value;
  },
};

/** The trace header names, lowercase. */
export const TRACE_HEADER_SET: ReadonlySet<string> = new Set(TRACE_HEADERS);

/**
 * Applies `traceHeaders` to a flat `[name, value, name, value, ...]` header list: drops every
 * trace header the list has (names compared case-insensitively) and appends the new ones.
 */
export function replaceTraceHeaders(headers: readonly string[], traceHeaders: TraceHeaders): string[] {
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i] ?? '';
    if (TRACE_HEADER_SET.has(name.toLowerCase())) continue;
    out.push(name, headers[i + 1] ?? '');
  }
  for (const name in traceHeaders) out.push(name, traceHeaders[name] ?? '');
  return out;
}

/** Applies `traceHeaders` to a header record with lowercase names (HTTP/2), in place. */
export function replaceTraceHeadersIn(
  headers: Record<string, string | string[] | number | undefined>,
  traceHeaders: TraceHeaders,
): void {
  for (const name of TRACE_HEADERS) if (headers[name] !== undefined) delete headers[name];
  for (const name in traceHeaders) headers[name] = traceHeaders[name];
}
