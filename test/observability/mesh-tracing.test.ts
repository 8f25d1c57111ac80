/**
 * Traces across two sidecars: client -> weft(A) -> mTLS -> weft(B) -> app, exported by each
 * proxy to a real OTLP receiver (A over HTTP/protobuf, B over gRPC).
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { A_ID, B_AUTHORITY, B_ID, type MeshPair, startMeshPair } from '@weft/proxy/testing';
import { TracingController } from '@weft/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from '../support/otlp-receiver.js';

const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

const CLIENT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN = '00f067aa0ba902b7';

interface Seen {
  url: string;
  headers: http.IncomingHttpHeaders;
}

/** An app that answers `/status/N` with N and everything else with 200, recording what it saw. */
async function app(): Promise<{ port: number; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    const m = /^\/status\/(\d{3})$/.exec(req.url ?? '');
    res.statusCode = m ? Number(m[1]) : 200;
    res.end('ok');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { port: (server.address() as AddressInfo).port, seen };
}

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

interface Traced {
  pair: MeshPair;
  receiver: OtlpReceiver;
  aTracing: TracingController;
  bTracing: TracingController;
}

async function tracedPair(
  appPort: number,
  a: { endpoint?: string; maxQueueSize?: number } = {},
): Promise<Traced> {
  const receiver = await startOtlpReceiver();
  closers.push(() => receiver.close());
  const aTracing = new TracingController({
    env: {},
    explicit: { endpoint: a.endpoint ?? receiver.httpEndpoint, protocol: 'http/protobuf', sampling: 1 },
    resource: { serviceName: 'a', namespace: 'default', podName: 'a-1' },
    pipeline: { maxQueueSize: a.maxQueueSize ?? 2048, exportTimeoutMillis: 60_000 },
  });
  const bTracing = new TracingController({
    env: {},
    explicit: { endpoint: receiver.grpcUrl, protocol: 'grpc', sampling: 1 },
    resource: { serviceName: 'b', namespace: 'default', podName: 'b-1' },
  });
  closers.push(() => aTracing.close());
  closers.push(() => bTracing.close());
  const pair = await startMeshPair(appPort, { aDeps: { tracing: aTracing }, bDeps: { tracing: bTracing } });
  closers.push(() => pair.close());
  pair.pushDestination();
  return { pair, receiver, aTracing, bTracing };
}

async function flush(t: Traced): Promise<void> {
  await Promise.all([t.aTracing.forceFlush(), t.bTracing.forceFlush()]);
}

/** The four spans of one request: A server, A client, B server, B client. */
function hops(spans: readonly ReceivedSpan[], traceId: string) {
  const of = (service: string, kind: string) => {
    const found = spans.filter(
      (s) => s.traceId === traceId && s.resource['service.name'] === service && s.kind === kind,
    );
    expect(found, `${service} ${kind}`).toHaveLength(1);
    return found[0] as ReceivedSpan;
  };
  return {
    aServer: of('a', 'server'),
    aClient: of('a', 'client'),
    bServer: of('b', 'server'),
    bClient: of('b', 'client'),
  };
}

const traceparentOf = (seen: Seen | undefined) => String(seen?.headers.traceparent ?? '');

describe('tracing across two sidecars', () => {
  it('records one trace with parent links, kinds and attributes, and the app continues it', async () => {
    const backend = await app();
    const t = await tracedPair(backend.port);
    const status = await get(t.pair.upstreamPort, '/reviews/1', {
      traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01`,
      tracestate: 'vendor=kept',
    });
    expect(status).toBe(200);
    await flush(t);
    const spans = await t.receiver.waitFor((s) => s.length >= 4);
    const { aServer, aClient, bServer, bClient } = hops(spans, CLIENT_TRACE);

    expect(aServer.parentSpanId).toBe(CLIENT_SPAN);
    expect(aClient.parentSpanId).toBe(aServer.spanId);
    expect(bServer.parentSpanId).toBe(aClient.spanId);
    expect(bClient.parentSpanId).toBe(bServer.spanId);
    expect(traceparentOf(backend.seen[0])).toBe(`00-${CLIENT_TRACE}-${bClient.spanId}-01`);
    expect(backend.seen[0]?.headers.tracestate).toBe('vendor=kept');
    expect(aServer.traceState).toBe('vendor=kept');

    expect(aServer.attributes).toMatchObject({
      'http.request.method': 'GET',
      'url.path': '/reviews/1',
      'http.response.status_code': 200,
      'weft.direction': 'outbound',
      'weft.mtls': false,
    });
    expect(aClient.attributes).toMatchObject({
      'weft.attempt': 1,
      'weft.mtls': true,
      'weft.peer.identity': B_ID,
      'network.peer.address': '127.0.0.1',
      'network.peer.port': t.pair.bPorts.inbound,
      'http.response.status_code': 200,
    });
    expect(bServer.attributes).toMatchObject({
      'weft.direction': 'inbound',
      'weft.mtls': true,
      'weft.peer.identity': A_ID,
      'http.response.status_code': 200,
    });
    expect(bClient.attributes).toMatchObject({ 'weft.mtls': false, 'network.peer.port': backend.port });
    expect(spans.every((s) => s.status.code === 'unset')).toBe(true);
    expect(aServer.transport).toBe('http');
    expect(bServer.transport).toBe('grpc');
    expect(aServer.resource).toMatchObject({
      'service.name': 'a',
      'k8s.namespace.name': 'default',
      'k8s.pod.name': 'a-1',
    });
    expect(bServer.resource['service.name']).toBe('b');
  });

  it('marks failures, records each retry as its own client span, and an unreachable endpoint', async () => {
    const backend = await app();
    const t = await tracedPair(backend.port);
    expect(await get(t.pair.upstreamPort, '/status/500')).toBe(500);
    await flush(t);
    const first = await t.receiver.waitFor((s) => s.length >= 4);
    const traceId = first[0]?.traceId ?? '';
    const { aServer, aClient, bServer, bClient } = hops(first, traceId);
    for (const span of [aServer, aClient, bServer, bClient]) {
      expect(span.status.code, `${span.resource['service.name']} ${span.kind}`).toBe('error');
      expect(span.attributes['error.type']).toBe('500');
      expect(span.attributes['http.response.status_code']).toBe(500);
    }
    expect(aClient.attributes['weft.route']).toBeDefined();
    expect(aServer.attributes['weft.backend.service']).toBe('b.default:80');

    // A gateway error is retried (3 attempts by default): one client span per attempt.
    expect(await get(t.pair.upstreamPort, '/status/503')).toBe(503);
    await flush(t);
    const isRetried = (x: ReceivedSpan) =>
      x.resource['service.name'] === 'a' && x.kind === 'server' && x.attributes['url.path'] === '/status/503';
    const retried = await t.receiver.waitFor((s) => {
      const server = s.find(isRetried);
      return server !== undefined && s.filter((x) => x.parentSpanId === server.spanId).length === 3;
    });
    const retryServer = retried.find(isRetried) as ReceivedSpan;
    const attempts = retried
      .filter((x) => x.parentSpanId === retryServer.spanId)
      .sort((x, y) => Number(x.attributes['weft.attempt']) - Number(y.attributes['weft.attempt']));
    expect(attempts.map((x) => x.kind)).toEqual(['client', 'client', 'client']);
    expect(attempts.map((x) => x.attributes['weft.attempt'])).toEqual([1, 2, 3]);
    expect(attempts.map((x) => x.attributes['http.request.resend_count'])).toEqual([undefined, 1, 2]);
    expect(attempts.every((x) => x.status.code === 'error' && x.attributes['error.type'] === '503')).toBe(
      true,
    );
    expect(retryServer.status.code).toBe('error');
    const bServers = await t.receiver.waitFor(
      (s) => s.filter((x) => attempts.some((a) => a.spanId === x.parentSpanId)).length === 3,
    );
    expect(
      bServers.filter((x) => attempts.some((a) => a.spanId === x.parentSpanId)).map((x) => x.kind),
    ).toEqual(['server', 'server', 'server']);

    // A 4xx fails the client spans only.
    expect(await get(t.pair.upstreamPort, '/status/404')).toBe(404);
    await flush(t);
    const second = await t.receiver.waitFor((s) =>
      s.some(
        (x) =>
          x.kind === 'server' &&
          x.attributes['url.path'] === '/status/404' &&
          x.resource['service.name'] === 'b',
      ),
    );
    const notFoundTrace = second.find(
      (x) => x.kind === 'server' && x.attributes['url.path'] === '/status/404',
    )?.traceId;
    const notFound = hops(second, notFoundTrace ?? '');
    expect(notFound.aServer.status.code).toBe('unset');
    expect(notFound.aClient.status.code).toBe('error');

    // The destination's only endpoint does not answer: A fails the request itself.
    t.pair.pushDestination({ appPort: 80 });
    await t.pair.b.close();
    const status = await get(t.pair.upstreamPort, '/down');
    expect(status).toBeGreaterThanOrEqual(500);
    await flush(t);
    const spans = await t.receiver.waitFor((s) =>
      s.some(
        (x) =>
          x.resource['service.name'] === 'a' && x.kind === 'server' && x.attributes['url.path'] === '/down',
      ),
    );
    const down = spans.find(
      (x) => x.kind === 'server' && x.attributes['url.path'] === '/down',
    ) as ReceivedSpan;
    const downClient = spans.find(
      (x) => x.kind === 'client' && x.parentSpanId === down.spanId,
    ) as ReceivedSpan;
    expect(down.status.code).toBe('error');
    expect(down.attributes['http.response.status_code']).toBe(status);
    expect(typeof down.attributes['error.type']).toBe('string');
    expect(down.status.message).not.toBe('');
    expect(downClient.status.code).toBe('error');
    expect(downClient.attributes['error.type']).toBe('connect_error');
  });

  it('lets B3-only clients join, in their encoding, and starts a trace for requests without headers', async () => {
    const backend = await app();
    const t = await tracedPair(backend.port);
    const b3Trace = '80f198ee56343ba864fe8b2a57d3eff7';
    const b3Span = 'e457b5a2e4d86bd1';
    expect(
      await get(t.pair.upstreamPort, '/b3', {
        'x-b3-traceid': b3Trace,
        'x-b3-spanid': b3Span,
        'x-b3-parentspanid': '05e3ac9a4f6e3b90',
        'x-b3-sampled': '1',
      }),
    ).toBe(200);
    expect(await get(t.pair.upstreamPort, '/fresh')).toBe(200);
    await flush(t);
    const spans = await t.receiver.waitFor((s) => s.length >= 8);

    const b3 = hops(spans, b3Trace);
    expect(b3.aServer.parentSpanId).toBe(b3Span);
    const seenB3 = backend.seen.find((s) => s.url === '/b3');
    expect(seenB3?.headers['x-b3-traceid']).toBe(b3Trace);
    expect(seenB3?.headers['x-b3-spanid']).toBe(b3.bClient.spanId);
    expect(seenB3?.headers['x-b3-sampled']).toBe('1');
    expect(seenB3?.headers['x-b3-parentspanid']).toBeUndefined();
    expect(traceparentOf(seenB3)).toBe(`00-${b3Trace}-${b3.bClient.spanId}-01`);

    const fresh = spans.find(
      (s) => s.kind === 'server' && s.attributes['url.path'] === '/fresh',
    ) as ReceivedSpan;
    expect(fresh.parentSpanId).toBe('');
    const freshHops = hops(spans, fresh.traceId);
    expect(freshHops.bServer.parentSpanId).toBe(freshHops.aClient.spanId);
    expect(backend.seen.find((s) => s.url === '/fresh')?.headers.b3).toBeUndefined();
  });

  it('forwards unsampled requests untouched and records nothing for them', async () => {
    const backend = await app();
    const t = await tracedPair(backend.port);
    const traceparent = `00-${CLIENT_TRACE}-${CLIENT_SPAN}-00`;
    expect(await get(t.pair.upstreamPort, '/quiet', { traceparent })).toBe(200);
    expect(await get(t.pair.upstreamPort, '/loud')).toBe(200);
    await flush(t);
    await t.receiver.waitFor((s) => s.length >= 4);
    expect(t.receiver.spans().filter((s) => s.traceId === CLIENT_TRACE)).toHaveLength(0);
    expect(traceparentOf(backend.seen.find((s) => s.url === '/quiet'))).toBe(traceparent);
  });
});

describe('collector down', () => {
  it('keeps requests flowing, counts dropped spans and bounds the queue', async () => {
    const backend = await app();
    const hung = await startOtlpReceiver();
    closers.push(() => hung.close());
    hung.setMode('hang');
    const t = await tracedPair(backend.port, { endpoint: hung.httpEndpoint, maxQueueSize: 32 });
    // Before the pipelines flush on close: fail the held export so nothing waits for it.
    closers.push(() => hung.setMode('accept'));
    const requests = 60;
    const statuses: number[] = [];
    for (let i = 0; i < requests; i++) statuses.push(await get(t.pair.upstreamPort, `/r/${i}`));
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(backend.seen).toHaveLength(requests);
    const stats = t.aTracing.stats();
    expect(stats.exported).toBe(0);
    expect(stats.queued).toBeLessThanOrEqual(32);
    // A records two spans per request; all but the queue and the one hung batch are dropped.
    expect(stats.dropped).toBeGreaterThanOrEqual(2 * requests - 32 - 32);
    const metrics = await (await fetch(`http://127.0.0.1:${t.pair.aPorts.admin}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`weft_trace_spans_total\\{result="dropped"\\} ${stats.dropped}\\b`));
    expect(B_AUTHORITY).toContain('b.default');
  });
});
