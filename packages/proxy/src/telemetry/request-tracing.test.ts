import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import {
  InMemorySpanExporter,
  ParentBasedSampler,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { seededRandom } from '@weft/core';
import { TracingController, WeftRootSampler } from '@weft/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ControllerRequestTracing,
  DISABLED_REQUEST_TRACING,
  NOOP_REQUEST_SPAN,
  RequestTracer,
} from './request-tracing.js';
import type { TracedRequest } from './span-attributes.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

const providers: TracerProvider[] = [];
afterEach(async () => {
  await Promise.all(providers.splice(0).map((p) => p.shutdown()));
});

function setup(ratio = 1) {
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({
    sampler: new ParentBasedSampler({ root: new WeftRootSampler(ratio) }),
    spanProcessors: [new SimpleSpanProcessor({ exporter: memory })],
  });
  providers.push(provider);
  const tracer = provider.getTracer('test');
  const tracing = new RequestTracer({ tracer, sampling: ratio, random: seededRandom(7) });
  const finished = async (): Promise<ReadableSpan[]> => {
    await provider.forceFlush();
    return memory.getFinishedSpans();
  };
  return { tracing, tracer, finished };
}

/** A request as the proxy's layers see it. */
function request(
  headers: Record<string, string> = {},
  overrides: Partial<Omit<TracedRequest, 'header'>> = {},
): TracedRequest {
  const all: Record<string, string> = { host: 'reviews.shop:9080', 'user-agent': 'curl/8', ...headers };
  return {
    protocol: 'http1',
    method: 'GET',
    path: '/reviews/1?full=1',
    authority: 'reviews.shop:9080',
    direction: 'outbound',
    peer: { identity: undefined, address: '127.0.0.1' },
    header: (lower) => all[lower],
    ...overrides,
  };
}
const inbound = {
  direction: 'inbound',
  peer: { identity: 'spiffe://cluster.local/ns/shop/sa/web', address: '10.0.0.7' },
} as const;
const endpoint = {
  address: '10.0.0.9',
  port: 7143,
  mtls: true,
  identity: 'spiffe://cluster.local/ns/shop/sa/reviews',
};

describe('RequestTracer', () => {
  it('starts a server span for a new trace and a client span per attempt, injecting the attempt', async () => {
    const { tracing, finished } = setup(1);
    const span = tracing.startRequest(request());
    expect(span.recording).toBe(true);
    span.setRoute({ route: 'default', backend: 'reviews-v2' });
    const attempt = span.startAttempt({ attempt: 1, ...endpoint });
    attempt.end(200);
    span.end(200);

    const spans = await finished();
    expect(spans).toHaveLength(2);
    const client = spans.find((s) => s.kind === SpanKind.CLIENT);
    const server = spans.find((s) => s.kind === SpanKind.SERVER);
    if (!client || !server) throw new Error('missing spans');
    expect(server.parentSpanContext).toBeUndefined();
    expect(client.spanContext().traceId).toBe(server.spanContext().traceId);
    expect(client.parentSpanContext?.spanId).toBe(server.spanContext().spanId);
    expect(attempt.traceHeaders).toEqual({
      traceparent: `00-${client.spanContext().traceId}-${client.spanContext().spanId}-01`,
    });
    expect(server.name).toBe('GET');
    expect(server.attributes).toMatchObject({
      'http.request.method': 'GET',
      'url.path': '/reviews/1',
      'url.scheme': 'http',
      'server.address': 'reviews.shop',
      'server.port': 9080,
      'network.protocol.version': '1.1',
      'user_agent.original': 'curl/8',
      'client.address': '127.0.0.1',
      'http.response.status_code': 200,
      'weft.direction': 'outbound',
      'weft.mtls': false,
      'weft.route': 'default',
      'weft.backend.service': 'reviews-v2',
    });
    expect(client.attributes).toMatchObject({
      'http.request.method': 'GET',
      'server.address': 'reviews.shop',
      'server.port': 9080,
      'url.full': 'http://reviews.shop:9080/reviews/1?full=1',
      'network.peer.address': '10.0.0.9',
      'network.peer.port': 7143,
      'http.response.status_code': 200,
      'weft.attempt': 1,
      'weft.endpoint': '10.0.0.9:7143',
      'weft.mtls': true,
      'weft.peer.identity': 'spiffe://cluster.local/ns/shop/sa/reviews',
      'weft.route': 'default',
      'weft.backend.service': 'reviews-v2',
    });
    expect(client.attributes['http.request.resend_count']).toBeUndefined();
    expect(server.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('continues a sampled W3C parent on the inbound side and records the peer identity', async () => {
    const { tracing, finished } = setup(0);
    const span = tracing.startRequest(request({ traceparent: `00-${TRACE}-${SPAN}-01` }, inbound));
    expect(span.recording).toBe(true);
    span.end(204);
    const [server] = await finished();
    expect(server?.spanContext().traceId).toBe(TRACE);
    expect(server?.parentSpanContext?.spanId).toBe(SPAN);
    expect(server?.attributes['weft.peer.identity']).toBe('spiffe://cluster.local/ns/shop/sa/web');
    expect(server?.attributes['weft.mtls']).toBe(true);
  });

  it('records each retry as its own client span and marks failures', async () => {
    const { tracing, finished } = setup(1);
    const span = tracing.startRequest(request());
    const a1 = span.startAttempt({ attempt: 1, ...endpoint });
    a1.end(503);
    const first = a1.traceHeaders?.traceparent;
    const a2 = span.startAttempt({ attempt: 2, ...endpoint, address: '10.0.0.10' });
    a2.fail('connect_error', 'ECONNREFUSED');
    const second = a2.traceHeaders?.traceparent;
    span.startAttempt({ attempt: 3, ...endpoint }).end(200);
    span.end(200);
    expect(first).toMatch(/^00-/);
    expect(first).not.toBe(second);

    const spans = await finished();
    const attempts = spans.filter((s) => s.kind === SpanKind.CLIENT);
    expect(attempts.map((s) => s.attributes['weft.attempt'])).toEqual([1, 2, 3]);
    expect(attempts.map((s) => s.attributes['http.request.resend_count'])).toEqual([undefined, 1, 2]);
    expect(attempts[0]?.status.code).toBe(SpanStatusCode.ERROR);
    expect(attempts[0]?.attributes['error.type']).toBe('503');
    expect(attempts[1]?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'ECONNREFUSED' });
    expect(attempts[1]?.attributes['error.type']).toBe('connect_error');
    expect(attempts[2]?.status.code).toBe(SpanStatusCode.UNSET);
    expect(spans.find((s) => s.kind === SpanKind.SERVER)?.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('marks a server span failed on 5xx and on fail(), but not on 4xx', async () => {
    const { tracing, finished } = setup(1);
    tracing.startRequest(request()).end(404);
    tracing.startRequest(request()).end(502);
    tracing.startRequest(request()).fail('no_endpoints', 'service has no ready endpoints', 503);
    const [notFound, badGateway, unavailable] = await finished();
    expect(notFound?.status.code).toBe(SpanStatusCode.UNSET);
    expect(badGateway?.status.code).toBe(SpanStatusCode.ERROR);
    expect(badGateway?.attributes['error.type']).toBe('502');
    expect(unavailable?.status).toEqual({
      code: SpanStatusCode.ERROR,
      message: 'service has no ready endpoints',
    });
    expect(unavailable?.attributes).toMatchObject({
      'error.type': 'no_endpoints',
      'http.response.status_code': 503,
    });
  });

  it('does nothing for an unsampled parent and leaves the headers as they came', async () => {
    const { tracing, finished } = setup(1);
    const incoming = { traceparent: `00-${TRACE}-${SPAN}-00` };
    const span = tracing.startRequest(request(incoming, inbound));
    expect(span).toBe(NOOP_REQUEST_SPAN);
    const attempt = span.startAttempt({ attempt: 1, ...endpoint });
    attempt.end(200);
    span.end(200);
    expect(attempt.traceHeaders).toBeUndefined();
    expect(await finished()).toHaveLength(0);
  });

  it('propagates an unsampled root decision so that later hops agree', async () => {
    const { tracing, finished } = setup(0);
    const span = tracing.startRequest(request());
    expect(span.recording).toBe(false);
    const first = span.startAttempt({ attempt: 1, ...endpoint });
    const retry = span.startAttempt({ attempt: 2, ...endpoint });
    span.end(200);
    expect(first.traceHeaders?.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    expect(retry.traceHeaders).toEqual(first.traceHeaders);
    expect(Object.keys(first.traceHeaders ?? {})).toEqual(['traceparent']);
    expect(await finished()).toHaveLength(0);
  });

  it('joins B3-only callers and forwards B3 in their encoding', async () => {
    const { tracing, finished } = setup(0);
    const incoming = {
      'x-b3-traceid': TRACE,
      'x-b3-spanid': SPAN,
      'x-b3-parentspanid': 'aaaaaaaaaaaaaaaa',
      'x-b3-sampled': '1',
    };
    const span = tracing.startRequest(request(incoming));
    expect(span.recording).toBe(true);
    const attempt = span.startAttempt({ attempt: 1, ...endpoint });
    attempt.end(200);
    span.end(200);
    const spans = await finished();
    const client = spans.find((s) => s.kind === SpanKind.CLIENT);
    expect(spans.find((s) => s.kind === SpanKind.SERVER)?.parentSpanContext?.spanId).toBe(SPAN);
    const id = client?.spanContext().spanId;
    expect(client?.spanContext().traceId).toBe(TRACE);
    expect(attempt.traceHeaders).toEqual({
      traceparent: `00-${TRACE}-${id}-01`,
      'x-b3-traceid': TRACE,
      'x-b3-spanid': id,
      'x-b3-sampled': '1',
    });
  });

  it('samples that fraction of new traces, and the pipeline sampler applies the ratio to other roots', async () => {
    const { tracing, finished } = setup(0.25);
    let recording = 0;
    for (let i = 0; i < 4000; i++) {
      const span = tracing.startRequest(request());
      if (span.recording) recording++;
      span.end(200);
    }
    expect(recording).toBeGreaterThan(900);
    expect(recording).toBeLessThan(1100);
    expect(await finished()).toHaveLength(recording);

    const { tracer: never, finished: none } = setup(0);
    never.startSpan('push').end();
    expect(await none()).toHaveLength(0);
  });

  it('reads nothing at all when tracing is disabled', () => {
    const trap = new Proxy(
      {},
      {
        get() {
          throw new Error('the request was read');
        },
      },
    ) as TracedRequest;
    const span = DISABLED_REQUEST_TRACING.startRequest(trap);
    expect(span.recording).toBe(false);
    expect(span.startAttempt({ attempt: 1, ...endpoint }).traceHeaders).toBeUndefined();
  });

  it('names spans of unknown methods HTTP and records the original method', async () => {
    const { tracing, finished } = setup(1);
    tracing.startRequest(request({}, { method: 'PURGE', protocol: 'h2' })).end(200);
    const [server] = await finished();
    expect(server?.name).toBe('HTTP');
    expect(server?.attributes).toMatchObject({
      'http.request.method': '_OTHER',
      'http.request.method_original': 'PURGE',
      'network.protocol.version': '2',
    });
  });
});

describe('ControllerRequestTracing', () => {
  it('follows the controller: off, then spans once a mesh config enables tracing, then off again', async () => {
    const memory = new InMemorySpanExporter();
    const controller = new TracingController({
      env: {},
      resource: { serviceName: 'web' },
      pipeline: { exporter: memory, scheduledDelayMillis: 1 },
    });
    try {
      const tracing = new ControllerRequestTracing(controller);
      expect(tracing.startRequest(request())).toBe(NOOP_REQUEST_SPAN);
      controller.applyMeshConfig({ endpoint: 'http://127.0.0.1:1', protocol: '', sampling: 1 });
      tracing.startRequest(request()).end(200);
      await controller.forceFlush();
      expect(memory.getFinishedSpans().map((s) => s.kind)).toEqual([SpanKind.SERVER]);
      controller.applyMeshConfig({ endpoint: '', protocol: '', sampling: 1 });
      expect(tracing.startRequest(request())).toBe(NOOP_REQUEST_SPAN);
    } finally {
      await controller.close();
    }
  });
});
