/**
 * Trace context in HTTP headers: W3C `traceparent`/`tracestate` and B3 (single `b3` header
 * and multi `X-B3-*` headers), extracted from requests and injected into forwarded ones.
 */
import {
  type Context,
  createContextKey,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
  trace,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { B3InjectEncoding, B3Propagator } from '@opentelemetry/propagator-b3';

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
  private readonly w3c = new W3CTraceContextPropagator();
  private readonly b3Single = new B3Propagator({ injectEncoding: B3InjectEncoding.SINGLE_HEADER });
  private readonly b3Multi = new B3Propagator({ injectEncoding: B3InjectEncoding.MULTI_HEADER });

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

/** Headers as Node's http and http2 modules give them: lowercase names. */
export type IncomingHeaders = Readonly<Record<string, string | string[] | undefined>>;

/** Headers of a request about to be forwarded: lowercase names, writable. */
export type OutgoingHeaders = Record<string, string | string[] | number | undefined>;

/** Reads lowercase Node header records (first value of a repeated header). */
export const incomingHeadersGetter: TextMapGetter<IncomingHeaders> = {
  get(carrier, key) {
    const value = carrier[key];
    return Array.isArray(value) ? value[0] : value;
  },
  keys(carrier) {
    return Object.keys(carrier);
  },
};

/** Writes lowercase Node header records. */
export const outgoingHeadersSetter: TextMapSetter<OutgoingHeaders> = {
  set(carrier, key, value) {
    carrier[key] = value;
  },
};

const B3_HEADERS = TRACE_HEADERS.filter((h) => h === 'b3' || h.startsWith('x-b3-'));

/**
 * Removes every B3 header before an injection, so that none describing the caller's span
 * (a parent span id, a debug flag, the other encoding) is forwarded beside ours.
 */
export function clearB3(headers: OutgoingHeaders): void {
  for (const name of B3_HEADERS) {
    if (headers[name] !== undefined) delete headers[name];
  }
}
