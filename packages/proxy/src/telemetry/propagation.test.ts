import { ROOT_CONTEXT, type SpanContext, TraceFlags, trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import {
  b3EncodingOf,
  type HeaderSource,
  headerSourceGetter,
  MeshPropagator,
  replaceTraceHeaders,
  replaceTraceHeadersIn,
  traceHeadersSetter,
} from './propagation.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';
const B3_TRACE = '80f198ee56343ba864fe8b2a57d3eff7';
const B3_SPAN = 'e457b5a2e4d86bd1';

const propagator = new MeshPropagator();
const source = (headers: Record<string, string>): HeaderSource => ({ header: (lower) => headers[lower] });
const extract = (headers: Record<string, string>) => {
  const ctx = propagator.extract(ROOT_CONTEXT, source(headers), headerSourceGetter);
  return { ctx, span: trace.getSpanContext(ctx) };
};

describe('MeshPropagator.extract', () => {
  it('reads W3C traceparent and tracestate', () => {
    const { span, ctx } = extract({ traceparent: `00-${TRACE}-${SPAN}-01`, tracestate: 'vendor=x' });
    expect(span).toMatchObject({
      traceId: TRACE,
      spanId: SPAN,
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
    });
    expect(span?.traceState?.get('vendor')).toBe('x');
    expect(b3EncodingOf(ctx)).toBeUndefined();
  });

  it('reads B3 single and multi headers and remembers the encoding', () => {
    const single = extract({ b3: `${B3_TRACE}-${B3_SPAN}-1` });
    expect(single.span).toMatchObject({ traceId: B3_TRACE, spanId: B3_SPAN, traceFlags: TraceFlags.SAMPLED });
    expect(b3EncodingOf(single.ctx)).toBe('b3-single');
    const multi = extract({ 'x-b3-traceid': B3_TRACE, 'x-b3-spanid': B3_SPAN, 'x-b3-sampled': '0' });
    expect(multi.span).toMatchObject({ traceId: B3_TRACE, spanId: B3_SPAN, traceFlags: TraceFlags.NONE });
    expect(b3EncodingOf(multi.ctx)).toBe('b3-multi');
  });

  it('lets traceparent win over B3 when both arrive, keeping B3 for injection', () => {
    const { span, ctx } = extract({ traceparent: `00-${TRACE}-${SPAN}-01`, b3: `${B3_TRACE}-${B3_SPAN}-1` });
    expect(span?.traceId).toBe(TRACE);
    expect(b3EncodingOf(ctx)).toBe('b3-single');
  });

  it('ignores malformed headers and takes the first of repeated ones', () => {
    expect(extract({ traceparent: 'garbage' }).span).toBeUndefined();
    expect(extract({ b3: 'zzz' }).span).toBeUndefined();
    expect(extract({ traceparent: `00-${'0'.repeat(32)}-${SPAN}-01` }).span).toBeUndefined();
    expect(
      extract({ traceparent: [`00-${TRACE}-${SPAN}-01`, `00-${B3_TRACE}-${B3_SPAN}-01`] }).span?.traceId,
    ).toBe(TRACE);
  });
});

describe('MeshPropagator.inject', () => {
  const child: SpanContext = { traceId: TRACE, spanId: 'a1b2c3d4e5f60718', traceFlags: TraceFlags.SAMPLED };

  it('writes W3C only when the request carried no B3', () => {
    const headers: Record<string, string> = {};
    propagator.inject(trace.setSpanContext(ROOT_CONTEXT, child), headers, traceHeadersSetter);
    expect(headers).toEqual({ traceparent: `00-${TRACE}-a1b2c3d4e5f60718-01` });
  });

  it('writes B3 in the encoding the request arrived with', () => {
    const single = extract({ b3: `${TRACE}-${SPAN}-1` }).ctx;
    const h1: Record<string, string> = {};
    propagator.inject(trace.setSpanContext(single, child), h1, traceHeadersSetter);
    expect(h1).toEqual({ traceparent: `00-${TRACE}-a1b2c3d4e5f60718-01`, b3: `${TRACE}-a1b2c3d4e5f60718-1` });

    const multi = extract({ 'x-b3-traceid': TRACE, 'x-b3-spanid': SPAN, 'x-b3-sampled': '1' }).ctx;
    const h2: Record<string, string> = {};
    propagator.inject(trace.setSpanContext(multi, child), h2, traceHeadersSetter);
    expect(h2).toEqual({
      traceparent: `00-${TRACE}-a1b2c3d4e5f60718-01`,
      'x-b3-traceid': TRACE,
      'x-b3-spanid': 'a1b2c3d4e5f60718',
      'x-b3-sampled': '1',
    });
  });

  it('lists every header it may write', () => {
    expect(propagator.fields()).toEqual(
      expect.arrayContaining(['traceparent', 'tracestate', 'b3', 'x-b3-traceid']),
    );
  });
});

describe('replaceTraceHeaders', () => {
  const arrived = [
    'Host',
    'reviews',
    'TraceParent',
    'old',
    'tracestate',
    'old',
    'X-B3-ParentSpanId',
    'p',
    'b3',
    'old',
    'accept',
    '*/*',
  ];

  it('drops every trace header of a flat list, whatever its case, and appends the new ones', () => {
    expect(replaceTraceHeaders(arrived, { traceparent: 'new', 'x-b3-traceid': 't' })).toEqual([
      'Host',
      'reviews',
      'accept',
      '*/*',
      'traceparent',
      'new',
      'x-b3-traceid',
      't',
    ]);
  });

  it('does the same on a lowercase header record', () => {
    const headers: Record<string, string | string[] | number | undefined> = {
      ':path': '/',
      traceparent: 'old',
      b3: 'old',
      'x-b3-flags': '1',
      accept: '*/*',
    };
    replaceTraceHeadersIn(headers, { traceparent: 'new' });
    expect(headers).toEqual({ ':path': '/', accept: '*/*', traceparent: 'new' });
  });
});
