import type { Destination__Output } from '@weft/api';
import { describe, expect, it } from 'vitest';
import { isWeftError } from '../errors.js';
import { seededRandom } from '../random.js';
import { routeRequest } from '../routing/request-match.js';
import {
  DEFAULT_TRAFFIC_POLICY,
  durationMs,
  retryFromProto,
  trafficPolicyFromProto,
} from './destination-config.js';
import { planDestination } from './destination-plan.js';

const sec = (s: number) => ({ seconds: String(Math.floor(s)), nanos: Math.round((s % 1) * 1e9) });

function backend(service: string) {
  return { name: `${service}.shop:80`, service, namespace: 'shop', port: 80, endpoints: [] };
}

function destination(overrides: Partial<Destination__Output> = {}): Destination__Output {
  return {
    authority: 'api.shop.svc.cluster.local:80',
    service: 'api',
    namespace: 'shop',
    port: 80,
    protocol: 'PROTOCOL_HTTP',
    routes: [],
    backends: [backend('api')],
    policy: null,
    ...overrides,
  };
}

const GET = (path: string) => routeRequest('GET', path);

describe('trafficPolicyFromProto', () => {
  it('fills every default when there is no policy', () => {
    expect(trafficPolicyFromProto(null)).toBe(DEFAULT_TRAFFIC_POLICY);
  });

  it('reads durations, the load balancer and treats proto3 zeros as unset', () => {
    const p = trafficPolicyFromProto({
      loadBalancer: 'LOAD_BALANCER_ROUND_ROBIN',
      timeouts: { request: sec(10), perTry: sec(0.5), idle: null },
      retry: null,
      outlierDetection: { consecutiveFailures: 0, baseEjectionTime: sec(5), maxEjectionPercent: 30 },
      limits: { maxConnections: 0, maxPendingRequests: 10, maxRequests: 0 },
    });
    expect(p.loadBalancer).toBe('RoundRobin');
    expect(p.timeouts).toEqual({ requestMs: 10_000, perTryMs: 500, idleMs: 300_000 });
    expect(p.retry.perTryTimeoutMs).toBe(500);
    expect(p.outlierDetection).toEqual({
      consecutiveFailures: 5,
      baseEjectionTimeMs: 5000,
      maxEjectionPercent: 30,
    });
    expect(p.limits).toEqual({ maxConnections: 1024, maxPendingRequests: 10, maxRequests: 1024 });
  });

  it('reads a retry policy with its budget', () => {
    const r = retryFromProto({
      attempts: 2,
      conditions: ['5xx', 'grpc:unavailable'],
      backoff: { base: sec(0.01), max: sec(0.1) },
      budget: { ratio: 0.5, minPerSecond: 3, ttl: null },
      perTryTimeout: null,
      retryNonIdempotent: true,
    });
    expect(r).toEqual({
      attempts: 2,
      on: ['5xx', 'grpc:unavailable'],
      backoff: { baseMs: 10, maxMs: 100 },
      budget: { ratio: 0.5, minPerSecond: 3, ttlMs: 10_000 },
      nonIdempotent: true,
    });
    expect(durationMs(null)).toBeUndefined();
  });
});

describe('planDestination', () => {
  it('routes to the service itself when there are no routes', () => {
    const plan = planDestination(destination());
    expect(plan.select(GET('/anything'), seededRandom(1))).toMatchObject({
      type: 'selected',
      backend: 'api.shop:80',
    });
    expect(plan.backends.has('api.shop:80')).toBe(true);
  });

  it('routes by match and splits by weight, route overrides over the policy', () => {
    const plan = planDestination(
      destination({
        backends: [backend('api'), backend('api-v2'), backend('admin')],
        routes: [
          {
            name: 'admin',
            matches: [
              { path: { kind: 'prefix', prefix: '/admin' }, method: '', headers: [], queryParams: [] },
            ],
            backends: [{ backend: 'admin.shop:80', weight: 1 }],
            requestTimeout: sec(2),
            retry: {
              attempts: 1,
              conditions: [],
              backoff: null,
              budget: null,
              perTryTimeout: null,
              retryNonIdempotent: false,
            },
          },
          {
            name: 'split',
            matches: [],
            backends: [
              { backend: 'api.shop:80', weight: 90 },
              { backend: 'api-v2.shop:80', weight: 10 },
            ],
            requestTimeout: null,
            retry: null,
          },
        ],
      }),
    );
    const random = seededRandom(11);
    const admin = plan.select(GET('/admin/users'), random);
    expect(admin).toMatchObject({
      type: 'selected',
      backend: 'admin.shop:80',
      route: { timeoutMs: 2000, retry: { attempts: 1 } },
    });
    let v2 = 0;
    for (let i = 0; i < 20_000; i++) {
      const s = plan.select(GET('/x'), random);
      if (s.type !== 'selected') throw new Error(s.type);
      if (s.backend === 'api-v2.shop:80') v2++;
    }
    // sd at p=0.1, n=20,000 is 0.21 points: 1 point is ~5 sd.
    expect(Math.abs(v2 / 20_000 - 0.1)).toBeLessThan(0.01);
  });

  it('answers no-backend when every weight is 0 and no-route when nothing matches', () => {
    const plan = planDestination(
      destination({
        routes: [
          {
            name: 'zero',
            matches: [{ path: { kind: 'exact', exact: '/z' }, method: '', headers: [], queryParams: [] }],
            backends: [{ backend: 'api.shop:80', weight: 0 }],
            requestTimeout: null,
            retry: null,
          },
        ],
      }),
    );
    expect(plan.select(GET('/z'), seededRandom(1)).type).toBe('no-backend');
    expect(plan.select(GET('/other'), seededRandom(1)).type).toBe('no-route');
  });

  it('names the field of an unknown backend or an unsafe regex', () => {
    const bad = (routes: Destination__Output['routes']) => {
      try {
        planDestination(destination({ routes }));
      } catch (err) {
        expect(isWeftError(err, 'INVALID_CONFIG')).toBe(true);
        return (err as Error).message;
      }
      return 'accepted';
    };
    const r = { name: 'r', requestTimeout: null, retry: null };
    expect(bad([{ ...r, matches: [], backends: [{ backend: 'nope.shop:80', weight: 1 }] }])).toBe(
      'routes[0].backends[0]: unknown backend "nope.shop:80"',
    );
    expect(
      bad([
        {
          ...r,
          matches: [{ path: { kind: 'regex', regex: '(a*)*' }, method: '', headers: [], queryParams: [] }],
          backends: [{ backend: 'api.shop:80', weight: 1 }],
        },
      ]),
    ).toMatch(/^routes\[0\]\.matches\[0\]\.path\.value: regular expression rejected/);
  });
});
