import { gzipSync } from 'node:zlib';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter as GrpcTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  type SpanExporter,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type OtlpReceiver, startOtlpReceiver } from './otlp-receiver.js';

let receiver: OtlpReceiver;
beforeEach(async () => {
  receiver = await startOtlpReceiver();
});
afterEach(async () => {
  await receiver.close();
});

/** Records a server span and a failing client span under it, without exporting them. */
async function recordSpans(): Promise<ReadableSpan[]> {
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'reviews', 'k8s.namespace.name': 'shop' }),
    spanProcessors: [new SimpleSpanProcessor({ exporter: memory })],
  });
  const tracer = provider.getTracer('receiver-test', '1.2.3');
  const server = tracer.startSpan('GET', {
    kind: SpanKind.SERVER,
    attributes: {
      'http.request.method': 'GET',
      'server.port': 9080,
      'weft.mtls': true,
      ratio: 0.25,
      tags: ['a', 'b'],
    },
  });
  const client = tracer.startSpan('GET', { kind: SpanKind.CLIENT }, trace.setSpan(ROOT_CONTEXT, server));
  client.setStatus({ code: SpanStatusCode.ERROR, message: 'connect refused' });
  client.end();
  server.end();
  await provider.forceFlush();
  return memory.getFinishedSpans();
}

function exportOnce(exporter: SpanExporter, spans: ReadableSpan[]): Promise<ExportResult> {
  return new Promise((resolve) => exporter.export(spans, resolve));
}

describe.each([
  ['http', (r: OtlpReceiver) => new ProtoTraceExporter({ url: r.httpUrl, timeoutMillis: 2000 })],
  ['grpc', (r: OtlpReceiver) => new GrpcTraceExporter({ url: r.grpcUrl, timeoutMillis: 2000 })],
] as const)('OTLP receiver with the real %s exporter', (transport, makeExporter) => {
  it('decodes ids, parent links, kinds, attributes, status, resource and scope', async () => {
    const spans = await recordSpans();
    expect(spans).toHaveLength(2);
    const exporter = makeExporter(receiver);
    const result = await exportOnce(exporter, spans);
    expect(result.error).toBeUndefined();
    expect(result.code).toBe(ExportResultCode.SUCCESS);
    await exporter.shutdown();

    const got = receiver.spans();
    expect(got).toHaveLength(2);
    const server = got.find((s) => s.kind === 'server');
    const client = got.find((s) => s.kind === 'client');
    expect(server).toBeDefined();
    expect(client).toBeDefined();
    if (!server || !client) return;
    const [recordedClient, recordedServer] = spans;
    expect(server.traceId).toBe(recordedServer?.spanContext().traceId);
    expect(server.spanId).toBe(recordedServer?.spanContext().spanId);
    expect(server.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(client.traceId).toBe(server.traceId);
    expect(client.spanId).toBe(recordedClient?.spanContext().spanId);
    expect(client.parentSpanId).toBe(server.spanId);
    expect(server.parentSpanId).toBe('');
    expect(server.attributes).toEqual({
      'http.request.method': 'GET',
      'server.port': 9080,
      'weft.mtls': true,
      ratio: 0.25,
      tags: ['a', 'b'],
    });
    expect(client.status).toEqual({ code: 'error', message: 'connect refused' });
    expect(server.status.code).toBe('unset');
    expect(server.resource['service.name']).toBe('reviews');
    expect(server.resource['k8s.namespace.name']).toBe('shop');
    expect(server.scope).toEqual({ name: 'receiver-test', version: '1.2.3' });
    expect(server.endTimeUnixNano).toBeGreaterThanOrEqual(server.startTimeUnixNano);
    expect(server.startTimeUnixNano).toBeGreaterThan(1_600_000_000_000_000_000n);
    expect(server.transport).toBe(transport);
    expect(receiver.requests[transport]).toBe(1);
  });

  it('answers with an error in reject mode and stores nothing, then accepts again', async () => {
    const exporter = makeExporter(receiver);
    receiver.setMode('reject');
    const rejected = await exportOnce(exporter, await recordSpans());
    expect(rejected.code).toBe(ExportResultCode.FAILED);
    expect(receiver.spans()).toHaveLength(0);
    expect(receiver.requests[transport]).toBeGreaterThanOrEqual(1);
    receiver.setMode('accept');
    const accepted = await exportOnce(exporter, await recordSpans());
    expect(accepted.code).toBe(ExportResultCode.SUCCESS);
    expect(receiver.spans()).toHaveLength(2);
    await exporter.shutdown();
  });

  it('waitFor resolves when spans arrive and rejects with what arrived on timeout', async () => {
    const waiting = receiver.waitFor((spans) => spans.some((s) => s.kind === 'client'));
    const exporter = makeExporter(receiver);
    await exportOnce(exporter, await recordSpans());
    await expect(waiting).resolves.toHaveLength(2);
    await expect(receiver.waitFor((spans) => spans.length > 2, 50)).rejects.toThrow(/server GET/);
    await exporter.shutdown();
  });
});

describe('OTLP receiver HTTP endpoint', () => {
  it('accepts gzip bodies, rejects other content types with 415 and garbage with 400', async () => {
    const exporter = new ProtoTraceExporter({ url: receiver.httpUrl, compression: 'gzip' as never });
    expect((await exportOnce(exporter, await recordSpans())).code).toBe(ExportResultCode.SUCCESS);
    expect(receiver.spans()).toHaveLength(2);
    await exporter.shutdown();

    const json = await fetch(receiver.httpUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(json.status).toBe(415);
    const garbage = await fetch(receiver.httpUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' },
      body: gzipSync(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f])),
    });
    expect(garbage.status).toBe(400);
    const wrongPath = await fetch(`${receiver.httpEndpoint}/v1/metrics`, { method: 'POST', body: '' });
    expect(wrongPath.status).toBe(404);
  });
});
