import type { Destination__Output } from '@weft/api';
import { ManualClock, planDestination, seededRandom } from '@weft/core';
import { describe, expect, it } from 'vitest';
import { type EndpointMessage, endpointKey, TrafficRegistry } from './destination-traffic.js';

function endpoint(address: string, port: number, weight = 1): EndpointMessage {
  return { address, port, identity: '', weight, zone: '', meshed: null, labels: {} };
}

function destination(
  endpoints: EndpointMessage[],
  overrides: Partial<Destination__Output> = {},
): Destination__Output {
  return {
    authority: 'api.shop.svc.cluster.local:80',
    service: 'api',
    namespace: 'shop',
    port: 80,
    protocol: 'PROTOCOL_HTTP',
    routes: [],
    backends: [{ name: 'api.shop:80', service: 'api', namespace: 'shop', port: 80, endpoints }],
    policy: null,
    ...overrides,
  };
}

function registry() {
  const rejected: string[] = [];
  const reg = new TrafficRegistry({
    clock: new ManualClock(),
    random: seededRandom(1),
    onRejected: (authority, err) => rejected.push(`${authority}: ${(err as Error).message}`),
  });
  return { reg, rejected };
}

describe('TrafficRegistry', () => {
  it('builds a balancer per backend and keeps endpoint load across updates', () => {
    const { reg } = registry();
    const d1 = destination([endpoint('10.0.0.1', 8080), endpoint('10.0.0.2', 8080)]);
    const state = reg.for(d1);
    const balancer = state.balancer('api.shop:80');
    const pick = balancer?.pick();
    if (pick?.type !== 'pick') throw new Error('no pick');
    balancer?.start(pick.endpoint);
    const d2 = destination([
      endpoint('10.0.0.1', 8080),
      endpoint('10.0.0.2', 8080),
      endpoint('10.0.0.3', 8080),
    ]);
    expect(reg.for(d2)).toBe(state);
    expect(state.balancer('api.shop:80')).toBe(balancer);
    expect(balancer?.size).toBe(3);
    expect(pick.endpoint.load.inflight).toBe(1);
  });

  it('keeps the last good plan when a newer destination does not compile, and says so once', () => {
    const { reg, rejected } = registry();
    const good = destination([endpoint('10.0.0.1', 8080)]);
    const state = reg.for(good);
    const bad = destination([endpoint('10.0.0.9', 8080)], {
      routes: [
        {
          name: 'r',
          matches: [{ path: { kind: 'regex', regex: '(a+)+' }, method: '', headers: [], queryParams: [] }],
          backends: [{ backend: 'api.shop:80', weight: 1 }],
          requestTimeout: null,
          retry: null,
        },
      ],
    });
    expect(reg.for(bad)).toBe(state);
    expect(reg.for(bad)).toBe(state);
    expect(state.destination).toBe(good);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toMatch(/routes\[0\]\.matches\[0\]\.path\.value: regular expression rejected/);
    expect(() => registry().reg.for(bad)).toThrow(/regular expression rejected/);
  });

  it('rebuilds balancers when the load balancer type changes and budgets when the budget does', () => {
    const { reg } = registry();
    const eps = [endpoint('10.0.0.1', 8080)];
    const state = reg.for(destination(eps));
    const before = state.balancer('api.shop:80');
    const budget = state.budget;
    const policy = {
      loadBalancer: 'LOAD_BALANCER_ROUND_ROBIN' as const,
      timeouts: null,
      retry: null,
      outlierDetection: null,
      limits: null,
    };
    reg.for(destination(eps, { policy }));
    expect(state.balancer('api.shop:80')).not.toBe(before);
    expect(state.budget).toBe(budget);
    expect(state.plan.policy.loadBalancer).toBe('RoundRobin');
  });

  it('fed by discovery, reads installed state and never compiles into the map on the request path', () => {
    const { reg, rejected } = registry();
    const d1 = destination([endpoint('10.0.0.1', 8080)]);
    const installed = reg.install({ destination: d1, plan: planDestination(d1) });
    // A request holding an older Destination object still gets the installed state.
    expect(reg.for(destination([endpoint('10.0.0.7', 8080)]))).toBe(installed);
    expect(installed.balancer('api.shop:80')?.size).toBe(1);
    reg.forget(d1.authority);
    // Removed while a request was being resolved: served once, not kept.
    const oneOff = reg.for(d1);
    expect(oneOff).not.toBe(installed);
    expect(reg.size).toBe(0);
    expect(reg.stats()).toEqual({ destinations: 0, balancers: 0, compiledOnRequest: 1 });
    expect(rejected).toEqual([]);
  });

  it('install updates in place: same balancer, new endpoints, plan swapped', () => {
    const { reg } = registry();
    const d1 = destination([endpoint('10.0.0.1', 8080)]);
    const state = reg.install({ destination: d1, plan: planDestination(d1) });
    const balancer = state.balancer('api.shop:80');
    const d2 = destination([endpoint('10.0.0.1', 8080), endpoint('10.0.0.2', 8080)]);
    const plan = planDestination(d2);
    expect(reg.install({ destination: d2, plan })).toBe(state);
    expect(state.plan).toBe(plan);
    expect(state.destination).toBe(d2);
    expect(state.balancer('api.shop:80')).toBe(balancer);
    expect(balancer?.size).toBe(2);
  });

  it("computes each endpoint's upstream target once, at install", () => {
    const { reg } = registry();
    const meshed = {
      ...endpoint('10.0.0.1', 8080),
      identity: 'spiffe://cluster.local/ns/shop/sa/api',
      meshed: { inboundPort: 7143 },
    };
    const d = destination([meshed]);
    const balancer = reg.install({ destination: d, plan: planDestination(d) }).balancer('api.shop:80');
    const first = balancer?.pick();
    const second = balancer?.pick();
    if (first?.type !== 'pick' || second?.type !== 'pick') throw new Error('no pick');
    expect(first.endpoint.value.target).toEqual({
      address: '10.0.0.1',
      port: 8080,
      identity: 'spiffe://cluster.local/ns/shop/sa/api',
      meshedPort: 7143,
      key: '10.0.0.1:7143>8080|spiffe://cluster.local/ns/shop/sa/api',
    });
    expect(second.endpoint.value.target).toBe(first.endpoint.value.target);
  });

  it('keys endpoints by where the proxy connects', () => {
    expect(endpointKey(endpoint('10.0.0.1', 8080))).toBe('10.0.0.1:8080');
    expect(endpointKey({ ...endpoint('10.0.0.1', 8080), meshed: { inboundPort: 7143 } })).toBe(
      '10.0.0.1:7143>8080',
    );
  });
});
