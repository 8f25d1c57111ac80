import type { DiscoveryResponse__Output } from '@weft/api';
import { ManualClock, seededRandom } from '@weft/core';
import { describe, expect, it } from 'vitest';
import { MetricsRegistry } from '../telemetry/metrics-registry.js';
import { type DestinationTraffic, TrafficRegistry } from '../traffic/destination-traffic.js';
import { createTrafficMetrics } from '../traffic/traffic-metrics.js';
import { DiscoveryState } from './state.js';

const NAME = 'api.shop.svc.cluster.local:80';
const BACKEND = 'api.shop:80';

type Resource = DiscoveryResponse__Output['resources'][number];

let nonce = 0;
function response(resources: Resource[], removedNames: string[] = []): DiscoveryResponse__Output {
  nonce++;
  return { versionInfo: String(nonce), nonce: `n${nonce}`, resources, removedNames };
}

function destination(addresses: string[], routes: unknown[] = [], name = NAME): Resource {
  return {
    name,
    version: '1',
    kind: 'destination',
    destination: {
      authority: name,
      service: 'api',
      namespace: 'shop',
      port: 80,
      protocol: 'PROTOCOL_HTTP',
      routes,
      backends: [
        {
          name: BACKEND,
          service: 'api',
          namespace: 'shop',
          port: 80,
          endpoints: addresses.map((address) => ({
            address,
            port: 8080,
            identity: '',
            weight: 0,
            zone: '',
            meshed: null,
            labels: {},
          })),
        },
      ],
      policy: null,
    },
  } as unknown as Resource;
}

/** A route whose regex is refused (catastrophic backtracking): the destination does not compile. */
const UNSAFE_ROUTE = {
  name: 'r',
  matches: [{ path: { kind: 'regex', regex: '(a+)+' }, method: '', headers: [], queryParams: [] }],
  backends: [{ backend: BACKEND, weight: 1 }],
  requestTimeout: null,
  retry: null,
};

function setup() {
  const registry = new MetricsRegistry();
  const metrics = createTrafficMetrics(registry);
  const rejected: string[] = [];
  const traffic = new TrafficRegistry({
    clock: new ManualClock(),
    random: seededRandom(7),
    metrics,
    onRejected: (authority) => rejected.push(authority),
  });
  const state = new DiscoveryState();
  state.useTraffic(traffic);
  return { state, traffic, metrics, rejected };
}

/** Ejects the endpoint at `address` with five consecutive failures (the default threshold). */
function eject(t: DestinationTraffic, address: string): void {
  const balancer = t.balancer(BACKEND)!;
  for (let i = 0; i < 5; i++) {
    const others = new Set<string>();
    for (let j = 0; j < 20; j++) {
      const p = balancer.pick(others);
      if (p.type !== 'pick') throw new Error(p.message);
      if (p.endpoint.value.address === address) {
        balancer.start(p.endpoint).end('failure');
        break;
      }
      others.add(p.endpoint.key);
    }
  }
}

/** The addresses 300 picks land on. */
function picked(t: DestinationTraffic): Set<string> {
  const seen = new Set<string>();
  const balancer = t.balancer(BACKEND)!;
  for (let i = 0; i < 300; i++) {
    const p = balancer.pick();
    if (p.type === 'pick') seen.add(p.endpoint.value.address);
  }
  return seen;
}

describe('DiscoveryState compiles destinations at push', () => {
  it('installs the traffic state when the destination arrives, before any request', () => {
    const { state, traffic } = setup();
    expect(state.apply(response([destination(['10.0.0.1', '10.0.0.2'])]))).toEqual({ type: 'ack' });
    const installed = traffic.get(NAME);
    expect(installed?.balancer(BACKEND)?.size).toBe(2);
    const r = state.lookup(NAME);
    if (r?.type !== 'destination') throw new Error('no destination');
    // The request path reads the installed state; it compiles nothing.
    expect(traffic.for(r.destination)).toBe(installed);
    expect(traffic.stats()).toEqual({ destinations: 1, balancers: 1, compiledOnRequest: 0 });
  });

  it('applies endpoint churn to the existing balancer and keeps the ejection of surviving endpoints', () => {
    const { state, traffic, metrics } = setup();
    state.apply(response([destination(['10.0.0.1', '10.0.0.2', '10.0.0.3'])]));
    const t = traffic.get(NAME)!;
    const balancer = t.balancer(BACKEND);
    eject(t, '10.0.0.2');
    expect(metrics.ejections.get({ backend: BACKEND, endpoint: '10.0.0.2:8080' })).toBe(1);
    expect(picked(t)).toEqual(new Set(['10.0.0.1', '10.0.0.3']));
    // 10.0.0.1 goes, 10.0.0.4 comes: applied now, to the same balancer.
    state.apply(response([destination(['10.0.0.2', '10.0.0.3', '10.0.0.4'])]));
    expect(traffic.get(NAME)).toBe(t);
    expect(t.balancer(BACKEND)).toBe(balancer);
    expect(balancer?.size).toBe(3);
    expect(picked(t)).toEqual(new Set(['10.0.0.3', '10.0.0.4']));
  });

  it('forgets the state of a removed destination, and a re-added one starts fresh', () => {
    const { state, traffic } = setup();
    state.apply(response([destination(['10.0.0.1', '10.0.0.2', '10.0.0.3'])]));
    const before = traffic.get(NAME)!;
    eject(before, '10.0.0.2');
    state.apply(response([], [NAME]));
    expect(traffic.get(NAME)).toBeUndefined();
    expect(traffic.size).toBe(0);
    state.apply(response([destination(['10.0.0.1', '10.0.0.2', '10.0.0.3'])]));
    const after = traffic.get(NAME)!;
    expect(after).not.toBe(before);
    expect(picked(after)).toEqual(new Set(['10.0.0.1', '10.0.0.2', '10.0.0.3']));
  });

  it('forgets the state when the name is answered does-not-exist', () => {
    const { state, traffic } = setup();
    state.apply(response([destination(['10.0.0.1'])]));
    expect(traffic.size).toBe(1);
    state.apply(
      response([
        { name: NAME, version: '2', kind: 'doesNotExist', doesNotExist: { reason: 'gone' } } as Resource,
      ]),
    );
    expect(traffic.size).toBe(0);
    expect(state.lookup(NAME)?.type).toBe('does-not-exist');
  });

  it('keeps an authority served by two names until the last one goes', () => {
    const { state, traffic } = setup();
    const byIp = { ...destination(['10.0.0.1']), name: '10.96.0.10:80' } as Resource;
    state.apply(response([destination(['10.0.0.1']), byIp]));
    expect(traffic.size).toBe(1);
    state.apply(response([], [NAME]));
    expect(traffic.get(NAME)).toBeDefined();
    state.apply(response([], ['10.96.0.10:80']));
    expect(traffic.size).toBe(0);
  });

  it('NACKs a destination that does not compile once, at push, and the request path never sees it', () => {
    const { state, traffic, rejected } = setup();
    state.apply(response([destination(['10.0.0.1'])]));
    const good = traffic.get(NAME)!;
    const result = state.apply(response([destination(['10.0.0.9'], [UNSAFE_ROUTE])]));
    expect(result.type).toBe('nack');
    expect(result.type === 'nack' && result.reason).toMatch(
      /^resource "api\.shop\.svc\.cluster\.local:80": routes\[0\]\.matches\[0\]\.path\.value: regular expression rejected/,
    );
    for (let i = 0; i < 3; i++) {
      const r = state.lookup(NAME);
      if (r?.type !== 'destination') throw new Error('no destination');
      expect(traffic.for(r.destination)).toBe(good);
    }
    expect(good.balancer(BACKEND)?.size).toBe(1);
    expect(rejected).toEqual([]);
    expect(traffic.stats().compiledOnRequest).toBe(0);
  });

  it('installs destinations held before the registry was attached', () => {
    const state = new DiscoveryState();
    state.apply(response([destination(['10.0.0.1'])]));
    const traffic = new TrafficRegistry({ clock: new ManualClock(), random: seededRandom(1) });
    state.useTraffic(traffic);
    expect(traffic.get(NAME)?.balancer(BACKEND)?.size).toBe(1);
  });
});
