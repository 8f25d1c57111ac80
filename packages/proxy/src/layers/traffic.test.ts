/** The traffic layer against a fake exchange: routing, retries, timeouts, limits, stale resends, client gone. */
import type { Destination__Output } from '@weft/api';
import { isWeftError, ManualClock, seededRandom } from '@weft/core';
import { describe, expect, it } from 'vitest';
import { FakeExchange, type ScriptedAnswer } from '../../testing/fake-exchange.js';
import { upstreamTarget } from '../net/upstream-target.js';
import { MetricsRegistry } from '../telemetry/metrics-registry.js';
import { type EndpointMessage, TrafficRegistry } from '../traffic/destination-traffic.js';
import { createTrafficMetrics, TrafficCounters } from '../traffic/traffic-metrics.js';
import { forwardToUpstream } from './forward.js';
import { trafficLayer } from './traffic.js';
import { chain } from './types.js';

const sec = (s: number) => ({ seconds: String(Math.floor(s)), nanos: Math.round((s % 1) * 1e9) });

function endpoint(address: string): EndpointMessage {
  return { address, port: 8080, identity: '', weight: 1, zone: '', meshed: null, labels: {} };
}

function destination(overrides: Partial<Destination__Output> = {}): Destination__Output {
  return {
    authority: 'api.shop.svc.cluster.local:80',
    service: 'api',
    namespace: 'shop',
    port: 80,
    protocol: 'PROTOCOL_HTTP',
    routes: [],
    backends: [
      {
        name: 'api.shop:80',
        service: 'api',
        namespace: 'shop',
        port: 80,
        endpoints: ['10.0.0.1', '10.0.0.2', '10.0.0.3'].map(endpoint),
      },
    ],
    policy: null,
    ...overrides,
  };
}

function harness(clock = new ManualClock()) {
  const deps = { clock, random: seededRandom(4) };
  const metrics = createTrafficMetrics(new MetricsRegistry());
  const counters = new TrafficCounters(metrics);
  const registry = new TrafficRegistry(deps);
  const handler = chain(
    [trafficLayer({ registry, ...deps, counters })],
    forwardToUpstream({ ...deps, counters }),
  );
  /** Sends `ex` with destination `dest`, advancing the clock until it ended (bounded). */
  async function run(dest: Destination__Output, ex: FakeExchange): Promise<FakeExchange> {
    ex.destination = dest;
    handler(ex);
    for (let i = 0; i < 1000 && ex.log.relayed.length === 0 && ex.log.failures.length === 0; i++) {
      await new Promise((r) => setImmediate(r));
      clock.advance(10);
    }
    return ex;
  }
  return { clock, run, handler, metrics, registry };
}

const status = (s: number): ScriptedAnswer => ({ outcome: { type: 'response', status: s } });

describe('trafficLayer', () => {
  it('relays the first response and numbers the attempt', async () => {
    const h = harness();
    const ex = await h.run(destination(), new FakeExchange(() => status(200)));
    expect(ex.log.attempts).toHaveLength(1);
    expect(ex.log.attempts[0]?.attempt).toBe(1);
    expect(ex.log.relayed).toHaveLength(1);
    expect(ex.options?.markAttempt).toBe(true);
    expect(h.metrics.attempts.get({ backend: 'api.shop:80', outcome: '2xx' })).toBe(1);
  });

  it('retries a GET after a 503 on another endpoint, dropping the first response', async () => {
    const h = harness();
    const ex = await h.run(
      destination(),
      new FakeExchange((_a, attempt) => status(attempt === 1 ? 503 : 200)),
    );
    expect(new Set(ex.log.attempts.map((a) => a.address)).size).toBe(2);
    expect(ex.log.dropped).toEqual([`${ex.log.attempts[0]?.address}#1`]);
    expect(ex.log.relayed).toEqual([`${ex.log.attempts[1]?.address}#2`]);
    expect(h.metrics.retries.get({ backend: 'api.shop:80' })).toBe(1);
  });

  it('relays a POST 503 without retrying, but retries a POST whose connection failed', async () => {
    const h = harness();
    const sent = await h.run(destination(), new FakeExchange(() => status(503), { method: 'POST' }));
    expect(sent.log.attempts).toHaveLength(1);
    expect(sent.log.relayed).toHaveLength(1);
    const refused = await h.run(
      destination(),
      new FakeExchange(
        (_a, n) => (n === 1 ? { outcome: { type: 'connect-failure' }, sent: false } : status(200)),
        {
          method: 'POST',
        },
      ),
    );
    expect(refused.log.attempts).toHaveLength(2);
    expect(refused.log.relayed).toHaveLength(1);
  });

  it('does not retry a 100 KiB body', async () => {
    const h = harness();
    const ex = await h.run(
      destination(),
      new FakeExchange(() => ({ outcome: { type: 'connect-failure' }, sent: false }), {
        method: 'PUT',
        bodyBytes: 100 * 1024,
      }),
    );
    expect(ex.log.attempts).toHaveLength(1);
    expect(ex.log.failures[0]?.message).toMatch(/^api\.shop:80: connection failed \(1 attempt\)/);
    expect(ex.log.closed).toBe(true);
  });

  it('fails with 503 naming the backend after every attempt failed to connect', async () => {
    const h = harness();
    const ex = await h.run(
      destination(),
      new FakeExchange(() => ({ outcome: { type: 'connect-failure' }, sent: false })),
    );
    const err = ex.log.failures[0];
    expect(err !== undefined && isWeftError(err, 'UNAVAILABLE') && err.message).toMatch(
      /^api\.shop:80: connection failed \(3 attempts\)/,
    );
  });

  it('arms the per-try timeout, cancels the attempt, and answers 504 naming it', async () => {
    const dest = destination({
      policy: {
        loadBalancer: 'LOAD_BALANCER_UNSPECIFIED',
        timeouts: { request: sec(10), perTry: sec(0.1), idle: null },
        retry: null,
        outlierDetection: null,
        limits: null,
      },
    });
    const h = harness();
    const ex = await h.run(dest, new FakeExchange(() => ({ outcome: { type: 'reset' }, hang: true })));
    expect(ex.log.attempts).toHaveLength(3);
    expect(ex.log.cancelled).toHaveLength(3);
    const err = ex.log.failures[0];
    expect(err !== undefined && isWeftError(err, 'DEADLINE_EXCEEDED') && err.message).toMatch(
      /per-try timeout of 100 ms/,
    );
  });

  it('answers no route with 404 and an all-zero split with 503', async () => {
    const dest = destination({
      routes: [
        {
          name: 'zero',
          matches: [{ path: { kind: 'prefix', prefix: '/z' }, method: '', headers: [], queryParams: [] }],
          backends: [{ backend: 'api.shop:80', weight: 0 }],
          requestTimeout: null,
          retry: null,
        },
      ],
    });
    const h = harness();
    const none = await h.run(dest, new FakeExchange(() => status(200), { path: '/other' }));
    expect(none.log.failures[0]?.message).toBe(
      'no route of api.shop.svc.cluster.local:80 matches GET /other',
    );
    expect(none.log.attempts).toHaveLength(0);
    const zero = await h.run(dest, new FakeExchange(() => status(200), { path: '/z' }));
    expect(zero.log.failures[0]?.message).toBe('every backend of route zero has weight 0');
  });

  it('fails fast with 503 when active and pending requests are at their limits, and admits the queued one later', async () => {
    const dest = destination({
      policy: {
        loadBalancer: 'LOAD_BALANCER_UNSPECIFIED',
        timeouts: null,
        retry: null,
        outlierDetection: null,
        limits: { maxConnections: 0, maxPendingRequests: 1, maxRequests: 1 },
      },
    });
    const h = harness();
    const first = await h.run(dest, new FakeExchange(() => status(200)));
    expect(first.log.relayed).toHaveLength(1);
    const queued = new FakeExchange(() => status(200));
    queued.destination = dest;
    h.handler(queued);
    const rejected = await h.run(dest, new FakeExchange(() => status(200)));
    const err = rejected.log.failures[0];
    expect(err !== undefined && isWeftError(err, 'UNAVAILABLE') && err.message).toMatch(
      /^api\.shop:80: circuit open: 1 requests active and 1 pending/,
    );
    expect(queued.log.attempts).toHaveLength(0);
    first.endResponse(); // the slot passes on
    for (let i = 0; i < 100 && queued.log.relayed.length === 0; i++)
      await new Promise((r) => setImmediate(r));
    expect(queued.log.relayed).toHaveLength(1);
  });

  it('makes no further attempt once the client went away during the backoff', async () => {
    const h = harness();
    const ex = new FakeExchange(() => status(503));
    ex.destination = destination();
    h.handler(ex);
    expect(ex.log.dropped).toHaveLength(1);
    ex.goAway();
    h.clock.advance(1000);
    expect(ex.log.attempts).toHaveLength(1);
    expect(ex.log.failures).toHaveLength(0);
  });

  it('resends once on a fresh connection to the same endpoint after a stale keep-alive connection, counted', async () => {
    const h = harness();
    const ex = await h.run(
      destination(),
      new FakeExchange((_a, _n, fresh) =>
        fresh ? status(200) : { outcome: { type: 'reset' }, stale: true },
      ),
    );
    expect(ex.log.attempts.map((a) => [a.attempt, a.fresh])).toEqual([
      [1, false],
      [1, true],
    ]);
    expect(ex.log.attempts[0]?.address).toBe(ex.log.attempts[1]?.address);
    expect(ex.log.relayed).toHaveLength(1);
    expect(h.metrics.staleResends.get({ direction: 'outbound' })).toBe(1);
    expect(h.metrics.retries.get({ backend: 'api.shop:80' })).toBe(0);
  });

  it('passes an exchange that cannot be attempted twice (an upgrade) to the next handler, balanced', async () => {
    const h = harness();
    const ex = new FakeExchange(() => status(200), { once: true });
    ex.destination = destination();
    h.handler(ex);
    expect(ex.log.forwarded).toHaveLength(1);
    expect(ex.log.forwarded[0]?.port).toBe(8080);
  });
});

describe('forwardToUpstream (fixed upstream)', () => {
  const app = upstreamTarget('127.0.0.1', 9000);

  it('makes one attempt without the attempt header and relays any answer', async () => {
    const h = harness();
    const ex = new FakeExchange(() => status(503), { direction: 'inbound', egress: app });
    ex.upstream = app;
    h.handler(ex);
    expect(ex.options?.markAttempt).toBe(false);
    expect(ex.log.relayed).toEqual(['127.0.0.1#1']);
  });

  it('resends a stale keep-alive failure once, then answers with the protocol error', async () => {
    const h = harness();
    const ex = new FakeExchange(() => ({ outcome: { type: 'reset' }, stale: true }), {
      direction: 'inbound',
    });
    ex.upstream = app;
    h.handler(ex);
    expect(ex.log.attempts.map((a) => a.fresh)).toEqual([false, true]);
    expect(ex.log.failures[0]?.message).toBe('reset at 127.0.0.1#1+fresh');
    expect(h.metrics.staleResends.get({ direction: 'inbound' })).toBe(1);
  });

  it('does not resend a POST whose body went out', async () => {
    const h = harness();
    const ex = new FakeExchange(() => ({ outcome: { type: 'reset' }, stale: true }), {
      direction: 'inbound',
      method: 'POST',
      bodyBytes: 10,
    });
    ex.upstream = app;
    h.handler(ex);
    expect(ex.log.attempts).toHaveLength(1);
    expect(ex.log.failures).toHaveLength(1);
    expect(h.metrics.staleResends.get({ direction: 'inbound' })).toBe(0);
  });
});
