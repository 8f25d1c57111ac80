import type { Destination__Output } from '@weft/api';
import { type AttemptOutcome, isWeftError, ManualClock, routeRequest, seededRandom } from '@weft/core';
import { describe, expect, it } from 'vitest';
import { type EndpointMessage, TrafficRegistry } from './destination-traffic.js';
import {
  type AttemptResponse,
  type Exchange,
  sendThroughTraffic,
  type TrafficResult,
} from './traffic-pipeline.js';

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

interface Log {
  attempts: { address: string; attempt: number; timer: string }[];
  relayed: string[];
  discarded: string[];
}

/** A fake protocol: answers each attempt from `respond`, records what the pipeline did. */
function exchange(
  method: string,
  respond: (address: string, attempt: number) => { outcome: AttemptOutcome; sent?: boolean },
  opts: { path?: string; bodyBytes?: number; signal?: AbortSignal } = {},
): { exchange: Exchange; log: Log } {
  const log: Log = { attempts: [], relayed: [], discarded: [] };
  return {
    log,
    exchange: {
      request: routeRequest(method, opts.path ?? '/'),
      body: () => ({ bytes: opts.bodyBytes ?? 0, replayable: (opts.bodyBytes ?? 0) <= 64 * 1024 }),
      ...(opts.signal === undefined ? {} : { signal: opts.signal }),
      attempt: async (ep, attempt, timer): Promise<AttemptResponse> => {
        log.attempts.push({
          address: ep.address,
          attempt,
          timer: timer.type === 'timer' ? `${timer.kind}:${timer.ms}` : timer.type,
        });
        const r = respond(ep.address, attempt);
        const id = `${ep.address}#${attempt}`;
        return {
          outcome: r.outcome,
          sent: r.sent ?? true,
          relay: async () => {
            log.relayed.push(id);
          },
          discard: () => log.discarded.push(id),
        };
      },
    },
  };
}

/** Runs the pipeline on a manual clock, advancing time while it waits on backoff timers. */
async function run(
  dest: Destination__Output,
  ex: Exchange,
  clock = new ManualClock(),
): Promise<TrafficResult> {
  const deps = { clock, random: seededRandom(4) };
  const traffic = new TrafficRegistry(deps).for(dest);
  let settled: TrafficResult | undefined;
  const p = sendThroughTraffic(traffic, ex, deps).then((r) => {
    settled = r;
    return r;
  });
  for (let i = 0; i < 1000 && settled === undefined; i++) {
    await new Promise((r) => setImmediate(r));
    clock.advance(10);
  }
  return p;
}

const status = (s: number): { outcome: AttemptOutcome } => ({ outcome: { type: 'response', status: s } });

describe('sendThroughTraffic', () => {
  it('relays the first response and numbers the attempt', async () => {
    const { exchange: ex, log } = exchange('GET', () => status(200));
    expect(await run(destination(), ex)).toEqual({ type: 'relayed', backend: 'api.shop:80', attempts: 1 });
    expect(log.attempts).toHaveLength(1);
    expect(log.attempts[0]?.attempt).toBe(1);
    expect(log.relayed).toHaveLength(1);
  });

  it('retries a GET after a 503 on another endpoint, dropping the first response', async () => {
    const { exchange: ex, log } = exchange('GET', (_a, attempt) => status(attempt === 1 ? 503 : 200));
    expect(await run(destination(), ex)).toMatchObject({ type: 'relayed', attempts: 2 });
    expect(new Set(log.attempts.map((a) => a.address)).size).toBe(2);
    expect(log.discarded).toEqual([`${log.attempts[0]?.address}#1`]);
    expect(log.relayed).toEqual([`${log.attempts[1]?.address}#2`]);
  });

  it('relays a POST 503 without retrying, but retries a POST whose connection failed', async () => {
    const sent = exchange('POST', () => status(503));
    expect(await run(destination(), sent.exchange)).toMatchObject({ type: 'relayed', attempts: 1 });
    const refused = exchange('POST', (_a, n) =>
      n === 1 ? { outcome: { type: 'connect-failure' }, sent: false } : status(200),
    );
    expect(await run(destination(), refused.exchange)).toMatchObject({ type: 'relayed', attempts: 2 });
  });

  it('does not retry a 100 KiB body', async () => {
    const { exchange: ex } = exchange('PUT', () => ({ outcome: { type: 'connect-failure' }, sent: false }), {
      bodyBytes: 100 * 1024,
    });
    const r = await run(destination(), ex);
    expect(r).toMatchObject({ type: 'failed', attempts: 1 });
    expect(r.type === 'failed' && r.error.message).toBe('api.shop:80: connection failed (1 attempt)');
  });

  it('fails with 503 naming the backend after every attempt failed to connect', async () => {
    const { exchange: ex } = exchange('GET', () => ({ outcome: { type: 'connect-failure' }, sent: false }));
    const r = await run(destination(), ex);
    expect(r.type === 'failed' && isWeftError(r.error, 'UNAVAILABLE') && r.error.message).toBe(
      'api.shop:80: connection failed (3 attempts)',
    );
  });

  it('arms the per-try timeout and answers 504 naming it', async () => {
    const dest = destination({
      policy: {
        loadBalancer: 'LOAD_BALANCER_UNSPECIFIED',
        timeouts: { request: sec(10), perTry: sec(0.1), idle: null },
        retry: null,
        outlierDetection: null,
        limits: null,
      },
    });
    const { exchange: ex, log } = exchange('GET', () => ({ outcome: { type: 'timeout', kind: 'per-try' } }));
    const r = await run(dest, ex);
    expect(log.attempts[0]?.timer).toBe('per-try:100');
    expect(log.attempts).toHaveLength(3);
    expect(r.type === 'failed' && isWeftError(r.error, 'DEADLINE_EXCEEDED') && r.error.message).toMatch(
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
    const none = await run(dest, exchange('GET', () => status(200), { path: '/other' }).exchange);
    expect(none.type === 'failed' && isWeftError(none.error, 'NOT_FOUND') && none.error.message).toBe(
      'no route of api.shop.svc.cluster.local:80 matches GET /other',
    );
    const zero = await run(dest, exchange('GET', () => status(200), { path: '/z' }).exchange);
    expect(zero.type === 'failed' && zero.error.message).toBe('every backend of route zero has weight 0');
  });

  it('fails fast with 503 when active and pending requests are at their limits', async () => {
    const clock = new ManualClock();
    const deps = { clock, random: seededRandom(4) };
    const dest = destination({
      policy: {
        loadBalancer: 'LOAD_BALANCER_UNSPECIFIED',
        timeouts: null,
        retry: null,
        outlierDetection: null,
        limits: { maxConnections: 0, maxPendingRequests: 1, maxRequests: 1 },
      },
    });
    const traffic = new TrafficRegistry(deps).for(dest);
    let finishRelay: () => void = () => {};
    const slow: Exchange = {
      request: routeRequest('GET', '/'),
      body: () => ({ bytes: 0, replayable: true }),
      attempt: async () => ({
        outcome: { type: 'response', status: 200 },
        sent: true,
        relay: () => new Promise<void>((r) => (finishRelay = r)),
        discard: () => {},
      }),
    };
    expect(await sendThroughTraffic(traffic, slow, deps)).toMatchObject({ type: 'relayed' });
    const queued = sendThroughTraffic(traffic, slow, deps);
    const rejected = await sendThroughTraffic(traffic, slow, deps);
    expect(
      rejected.type === 'failed' && isWeftError(rejected.error, 'UNAVAILABLE') && rejected.error.message,
    ).toMatch(/^api\.shop:80: circuit open: 1 requests active and 1 pending/);
    finishRelay();
    expect(await queued).toMatchObject({ type: 'relayed' });
  });

  it('makes no further attempt once the client went away', async () => {
    const controller = new AbortController();
    const { exchange: ex, log } = exchange(
      'GET',
      () => {
        controller.abort();
        return status(503);
      },
      { signal: controller.signal },
    );
    const r = await run(destination(), ex);
    expect(r).toMatchObject({ type: 'failed', attempts: 1 });
    expect(log.attempts).toHaveLength(1);
  });
});
