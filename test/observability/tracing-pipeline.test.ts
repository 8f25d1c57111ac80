/**
 * The proxy's tracing pipeline against a real OTLP receiver: both transports, resource
 * attributes, config swaps, and a collector that is down or hung.
 */
import { createServer } from 'node:net';
import { ControllerRequestTracing, type TracedRequest } from '@weft/proxy';
import { TracingController, type TracingControllerOptions } from '@weft/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { type OtlpReceiver, startOtlpReceiver } from '../support/otlp-receiver.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function receiver(): Promise<OtlpReceiver> {
  const r = await startOtlpReceiver();
  cleanups.push(() => r.close());
  return r;
}

function controller(options: Partial<TracingControllerOptions>): TracingController {
  const c = new TracingController({
    env: {},
    resource: { serviceName: 'reviews', namespace: 'shop', podName: 'reviews-7d9f' },
    ...options,
  });
  cleanups.push(() => c.close());
  return c;
}

const request: TracedRequest = {
  protocol: 'http1',
  method: 'GET',
  path: '/r/1',
  authority: 'reviews.shop:9080',
  direction: 'outbound',
  peer: { identity: undefined, address: '127.0.0.1' },
  header: () => undefined,
};
const endpoint = { address: '127.0.0.1', port: 7143, mtls: true };

/** One traced request with one attempt: two spans. */
function traceOne(c: TracingController, status = 200): void {
  const span = new ControllerRequestTracing(c).startRequest(request);
  span.startAttempt({ attempt: 1, ...endpoint }).end(status);
  span.end(status);
}

/** A port on 127.0.0.1 that nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe.each(['http/protobuf', 'grpc'] as const)('tracing pipeline over %s', (protocol) => {
  it('exports request spans with the resource attributes to the collector', async () => {
    const r = await receiver();
    const c = controller({
      explicit: { endpoint: protocol === 'grpc' ? r.grpcUrl : r.httpEndpoint, protocol },
    });
    expect(c.current).toMatchObject({ enabled: true, protocol, source: 'flag', sampling: 1 });
    traceOne(c);
    await c.forceFlush();
    const spans = await r.waitFor((s) => s.length === 2);
    expect(new Set(spans.map((s) => s.traceId)).size).toBe(1);
    expect(spans.map((s) => s.kind).sort()).toEqual(['client', 'server']);
    for (const s of spans) {
      expect(s.transport).toBe(protocol === 'grpc' ? 'grpc' : 'http');
      expect(s.resource).toMatchObject({
        'service.name': 'reviews',
        'k8s.namespace.name': 'shop',
        'k8s.pod.name': 'reviews-7d9f',
        'telemetry.sdk.language': 'nodejs',
      });
    }
    expect(c.stats()).toMatchObject({ exported: 2, dropped: 0, failed: 0, queued: 0 });
  });
});

describe('tracing config sources', () => {
  it('honours OTEL_EXPORTER_OTLP_ENDPOINT and OTEL_EXPORTER_OTLP_PROTOCOL', async () => {
    const r = await receiver();
    const c = controller({
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: r.grpcUrl, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' },
    });
    expect(c.current).toMatchObject({ enabled: true, source: 'env', protocol: 'grpc' });
    traceOne(c);
    await c.forceFlush();
    const spans = await r.waitFor((s) => s.length === 2);
    expect(spans.every((s) => s.transport === 'grpc')).toBe(true);
  });

  it('follows mesh config pushes, keeps the old pipeline on an invalid one, and counts across swaps', async () => {
    const a = await receiver();
    const b = await receiver();
    const c = controller({});
    expect(c.current.enabled).toBe(false);
    traceOne(c);

    c.applyMeshConfig({ endpoint: a.httpEndpoint, protocol: 'http/protobuf', sampling: 1 });
    const tracerA = c.tracer;
    traceOne(c);
    c.applyMeshConfig({ endpoint: a.httpEndpoint, protocol: 'http/protobuf', sampling: 1 });
    expect(c.tracer).toBe(tracerA);
    expect(() => c.applyMeshConfig({ endpoint: b.grpcUrl, protocol: 'quic', sampling: 1 })).toThrow(
      /mesh config tracing.protocol/,
    );
    expect(c.tracer).toBe(tracerA);

    c.applyMeshConfig({ endpoint: b.grpcUrl, protocol: 'grpc', sampling: 1 });
    expect(c.tracer).not.toBe(tracerA);
    traceOne(c);
    traceOne(c);
    await c.forceFlush();
    await a.waitFor((s) => s.length === 2);
    await b.waitFor((s) => s.length === 4);
    expect(a.spans().every((s) => s.transport === 'http')).toBe(true);
    expect(b.spans().every((s) => s.transport === 'grpc')).toBe(true);
    expect(c.stats().exported).toBe(6);
  });

  it('explicit flags win over a pushed mesh config', async () => {
    const flagged = await receiver();
    const c = controller({ explicit: { endpoint: flagged.httpEndpoint } });
    c.applyMeshConfig({ endpoint: 'http://unused.invalid:4318', protocol: 'grpc', sampling: 0 });
    expect(c.current).toMatchObject({ source: 'flag', protocol: 'grpc', sampling: 0 });
  });
});

describe('collector down', () => {
  it('drops and counts spans beyond the queue while the collector hangs, then recovers', async () => {
    const r = await receiver();
    r.setMode('hang');
    const c = controller({
      explicit: { endpoint: r.httpEndpoint },
      pipeline: { maxQueueSize: 64, maxExportBatchSize: 16, exportTimeoutMillis: 60_000 },
    });
    const total = 500;
    for (let i = 0; i < total; i++) traceOne(c);
    const during = c.stats();
    expect(during.capacity).toBe(64);
    expect(during.queued).toBeLessThanOrEqual(64);
    // At most one batch is held by the hung export; everything beyond the queue is dropped.
    expect(during.dropped).toBeGreaterThanOrEqual(2 * total - 64 - 16);
    expect(during.dropped + during.queued).toBeLessThanOrEqual(2 * total);
    expect(during.exported).toBe(0);

    r.setMode('accept');
    traceOne(c);
    await c.forceFlush();
    await r.waitFor((s) => s.some((x) => x.kind === 'server'));
    expect(c.stats().exported).toBeGreaterThan(0);
  });

  it('counts failed exports when nothing listens, without blocking the request path', async () => {
    const port = await closedPort();
    const c = controller({
      explicit: { endpoint: `http://127.0.0.1:${port}` },
      pipeline: { maxQueueSize: 32, maxExportBatchSize: 8, exportTimeoutMillis: 300 },
    });
    for (let i = 0; i < 8; i++) traceOne(c);
    await c.forceFlush().catch(() => undefined);
    expect(c.stats()).toEqual({ exported: 0, dropped: 0, failed: 16, queued: 0, capacity: 32 });
  });
});
