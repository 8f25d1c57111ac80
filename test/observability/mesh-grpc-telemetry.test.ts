/**
 * gRPC through two sidecars: an error status in the trailers marks the spans failed and counts
 * the response as a failure in the golden metrics, though its HTTP status is 200.
 */

import * as grpc from '@grpc/grpc-js';
import { startMeshPair } from '@weft/proxy/testing';
import { parsePrometheusText, sumSamples, TracingController } from '@weft/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { startOtlpReceiver } from '../support/otlp-receiver.js';

const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

const id = (b: Buffer) => b;
const service: grpc.ServiceDefinition = {
  unary: {
    path: '/test.Echo/Unary',
    requestStream: false,
    responseStream: false,
    requestSerialize: id,
    requestDeserialize: id,
    responseSerialize: id,
    responseDeserialize: id,
  },
};

describe('gRPC telemetry through two sidecars', () => {
  it('fails spans and counts failures by grpc-status', async () => {
    const server = new grpc.Server();
    server.addService(service, {
      unary: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
        if (call.request.toString() === 'fail') cb({ code: grpc.status.NOT_FOUND, details: 'no such thing' });
        else cb(null, call.request);
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    closers.push(() => new Promise<void>((r) => server.tryShutdown(() => r())));
    const receiver = await startOtlpReceiver();
    closers.push(() => receiver.close());
    const tracing = new TracingController({
      env: {},
      explicit: { endpoint: receiver.httpEndpoint, sampling: 1 },
      resource: { serviceName: 'a' },
    });
    closers.push(() => tracing.close());
    const pair = await startMeshPair(port, { aDeps: { tracing } });
    closers.push(() => pair.close());
    pair.pushDestination({ protocol: 'PROTOCOL_GRPC' });
    const Client = grpc.makeGenericClientConstructor(service, 'Echo');
    const client = new Client(
      `127.0.0.1:${pair.upstreamPort}`,
      grpc.credentials.createInsecure(),
    ) as grpc.Client & Record<string, any>;
    closers.push(() => client.close());
    const call = (text: string) =>
      new Promise<number>((resolve) =>
        client.unary(Buffer.from(text), (err: grpc.ServiceError | null) => resolve(err?.code ?? 0)),
      );
    expect(await call('ok')).toBe(grpc.status.OK);
    expect(await call('fail')).toBe(grpc.status.NOT_FOUND);

    await tracing.forceFlush();
    const spans = await receiver.waitFor((s) => s.filter((x) => x.kind === 'server').length === 2);
    const servers = spans.filter((x) => x.kind === 'server');
    expect(servers.map((x) => x.attributes['network.protocol.version'])).toEqual(['2', '2']);
    const failed = servers.filter((x) => x.status.code === 'error');
    expect(failed).toHaveLength(1);
    expect(failed[0]?.attributes).toMatchObject({ 'error.type': 'grpc_5', 'http.response.status_code': 200 });

    const samples = parsePrometheusText(
      await (await fetch(`http://127.0.0.1:${pair.aPorts.admin}/metrics`)).text(),
    );
    const out = { direction: 'outbound', status_code: '200' };
    expect(sumSamples(samples, 'weft_responses_total', { ...out, classification: 'success' })).toBe(1);
    expect(sumSamples(samples, 'weft_responses_total', { ...out, classification: 'failure' })).toBe(1);
  });
});
