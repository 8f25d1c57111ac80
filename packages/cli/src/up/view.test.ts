import { describe, expect, it } from 'vitest';
import type { ProxyScrape } from '../stat/golden.js';
import { apiVersionOf } from './load.js';
import { percentile, SlidingWindow } from './sliding-window.js';
import { renderView } from './view.js';
import { viewRows } from './view-rows.js';

describe('percentile', () => {
  it('is exact: a sample of the window by nearest rank, never a bucket edge', () => {
    const xs = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 99)).toBe(99);
    expect(percentile(xs, 100)).toBe(100);
    expect(percentile([], 50)).toBeUndefined();
    // One sample: p50 and p99 are that sample (histogram buckets said 4 ms / 5 ms here).
    expect(percentile([3.7], 50)).toBe(3.7);
    expect(percentile([3.7], 99)).toBe(3.7);
  });
});

describe('SlidingWindow', () => {
  it('keeps only the last window and at most its capacity', () => {
    let now = 0;
    const w = new SlidingWindow<number>(10_000, 3, () => now);
    w.add(1);
    now = 5_000;
    w.add(2);
    expect(w.values()).toEqual([1, 2]);
    now = 10_001; // the first sample is now older than 10 s
    expect(w.values()).toEqual([2]);
    w.add(3);
    w.add(4);
    w.add(5);
    expect(w.values()).toEqual([3, 4, 5]);
  });
});

const scrape = (
  workload: string,
  service: string,
  at: number,
  requests: number,
  ok: number,
): ProxyScrape => ({
  ok: true,
  namespace: 'demo',
  workload,
  service,
  at,
  samples: [
    { name: 'weft_requests_total', labels: { direction: 'inbound' }, value: requests },
    { name: 'weft_responses_total', labels: { direction: 'inbound', classification: 'success' }, value: ok },
  ],
});

const registrations = [
  { identity: 'spiffe://cluster.local/ns/demo/sa/store-1', service: 'store', workload: 'proxy-store-1' },
  { identity: 'spiffe://cluster.local/ns/demo/sa/store-2', service: 'store', workload: 'proxy-store-2' },
];
const storeState = (endpoints: Array<{ address: string; identity: string }>) => ({
  services: [
    { namespace: 'demo', name: 'store', endpointAddresses: { 80: endpoints } },
    { namespace: 'demo', name: 'loadgen', endpointAddresses: { 80: [] } },
  ],
  registrations: [
    ...registrations,
    // A pure client: no ports, so no endpoint is expected for it.
    {
      identity: 'spiffe://cluster.local/ns/demo/sa/loadgen',
      service: 'loadgen',
      workload: 'proxy-loadgen',
      ports: [],
    },
  ],
});
const before = [scrape('proxy-store-1', 'store', 0, 100, 100), scrape('proxy-store-2', 'store', 0, 50, 40)];
const now = [
  scrape('proxy-store-1', 'store', 10_000, 200, 200),
  scrape('proxy-store-2', 'store', 10_000, 150, 110),
];
const latencies = new Map([
  ['store-1', [1, 2, 3, 4]],
  ['store-2', [10, 20]],
]);

describe('viewRows', () => {
  it('shows one row per replica endpoint, with its own rate, success and exact latencies', () => {
    const { rows, warnings } = viewRows({
      namespace: 'demo',
      debugState: storeState([
        { address: '127.0.0.1:40001', identity: registrations[0]!.identity },
        { address: '127.0.0.1:40002', identity: registrations[1]!.identity },
      ]),
      now,
      before,
      latencies,
      hide: new Set(['loadgen']),
    });
    expect(warnings).toEqual([]);
    expect(rows).toEqual([
      {
        service: 'store',
        endpoint: '127.0.0.1:40001',
        replica: 'store-1',
        requestsPerSecond: 10,
        successRate: 1,
        p50Ms: 2,
        p99Ms: 4,
      },
      {
        service: 'store',
        endpoint: '127.0.0.1:40002',
        replica: 'store-2',
        requestsPerSecond: 10,
        successRate: 0.7,
        p50Ms: 10,
        p99Ms: 20,
      },
    ]);
  });

  it('flags replicas that collapsed into one endpoint', () => {
    const { rows, warnings } = viewRows({
      namespace: 'demo',
      debugState: storeState([{ address: '127.0.0.1:80', identity: registrations[1]!.identity }]),
      now,
      before,
      latencies,
    });
    expect(rows.map((r) => `${r.replica}@${r.endpoint}`)).toEqual(['store-2@127.0.0.1:80']);
    expect(warnings).toEqual([
      'store: 2 replicas registered but 1 endpoints served; no endpoint for store-1 (replicas collapsed?)',
    ]);
  });
});

describe('renderView', () => {
  it('shows replica rows, the window, the split, the client, rejected resources and warnings', () => {
    const text = renderView({
      uptimeSeconds: 12.7,
      windowSeconds: 10,
      rows: [
        {
          service: 'store',
          endpoint: '127.0.0.1:40001',
          replica: 'store-1',
          requestsPerSecond: 20,
          successRate: 1,
          p50Ms: 3.25,
          p99Ms: 41,
        },
        {
          service: 'store',
          endpoint: '127.0.0.1:40002',
          replica: 'store-2',
          requestsPerSecond: undefined,
          successRate: undefined,
          p50Ms: undefined,
          p99Ms: undefined,
        },
      ],
      warnings: ['trace collector http://127.0.0.1:4318 cannot be reached (ECONNREFUSED): spans are dropped'],
      split: new Map([
        ['api-v2', 10],
        ['api-v1', 90],
      ]),
      client: { ok: 100, failed: 0, p50Ms: 4, p99Ms: 12 },
      rejected: [
        'demo.yaml:14: TrafficSplit/api: spec.backends[1].weight: weight must be a non-negative number, got -10',
      ],
      notes: ['mTLS: on'],
    });
    expect(text.split('\n')).toEqual([
      'weft demo mesh — up 12s — every number is over the last 10s — Ctrl-C to stop',
      '',
      'SERVICE  REPLICA  ENDPOINT          RPS  SUCCESS    P50   P99',
      'store    store-1  127.0.0.1:40001  20.0  100.00%  3.3ms  41ms',
      '         store-2  127.0.0.1:40002     -        -      -     -',
      '! trace collector http://127.0.0.1:4318 cannot be reached (ECONNREFUSED): spans are dropped',
      '',
      'measured split: api-v1 90.0% / api-v2 10.0%  (100 responses)',
      'client (loadgen -> web): 100 ok, 0 failed, p50 4.0ms, p99 12ms',
      "RPS and SUCCESS: each replica's proxy (inbound); P50/P99: exact, of each replica's own handling time",
      'rejected resources: 1',
      '  demo.yaml:14: TrafficSplit/api: spec.backends[1].weight: weight must be a non-negative number, got -10',
      'mTLS: on',
    ]);
  });
});

describe('apiVersionOf', () => {
  it('reads the api version from a web response and ignores anything else', () => {
    expect(apiVersionOf('{"served_by":"web","upstream":{"served_by":"api-v2"}}')).toBe('api-v2');
    expect(apiVersionOf('not json')).toBeUndefined();
    expect(apiVersionOf('{"upstream":"oops"}')).toBeUndefined();
  });
});
