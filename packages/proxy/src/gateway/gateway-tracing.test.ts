/**
 * The gateway starts a trace (W3C traceparent) for a client that sent none, under the proxy's
 * tracing config and sampling, and continues the trace of a client that sent one.
 */
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TracingController } from '../telemetry/tracing-controller.js';
import { type EchoApp, request, startEchoApp, startTestGateway, type TestGateway } from './test-harness.js';

let web: EchoApp;
let gw: TestGateway;
const exporter = new InMemorySpanExporter();

beforeAll(async () => {
  web = await startEchoApp('web');
  const tracing = new TracingController({
    explicit: { endpoint: 'http://127.0.0.1:4318/v1/traces', protocol: 'http/protobuf', sampling: 1 },
    env: {},
    resource: { serviceName: 'weft-gateway', namespace: 'test', podName: 'gw-1', version: 'test' },
    pipeline: { exporter, scheduledDelayMillis: 50 },
  });
  gw = await startTestGateway(
    {
      listeners: [
        {
          name: 'test/gw/http',
          port: 80,
          protocol: 'GATEWAY_LISTENER_PROTOCOL_HTTP',
          routes: [{ name: 'HTTPRoute/test/web/0', backends: [{ authority: web.authority, weight: 1 }] }],
        },
      ],
    },
    { tracing },
  );
}, 30_000);

afterAll(async () => {
  await gw?.stop();
  await web?.close();
});

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;

describe('gateway tracing', () => {
  it('starts a sampled trace when the client sent none', async () => {
    const r = JSON.parse((await request(gw.port(80), { headers: { host: 'a.test' } })).body);
    const m = TRACEPARENT.exec(String(r.headers.traceparent));
    expect(m).not.toBeNull();
    await expect
      .poll(() => exporter.getFinishedSpans().some((s) => s.spanContext().traceId === m![1]), {
        timeout: 10_000,
      })
      .toBe(true);
  });

  it("continues the client's trace", async () => {
    const parent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const r = JSON.parse(
      (await request(gw.port(80), { headers: { host: 'a.test', traceparent: parent } })).body,
    );
    const m = TRACEPARENT.exec(String(r.headers.traceparent));
    expect(m?.[1]).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(m?.[2]).not.toBe('b7ad6b7169203331');
  });
});
