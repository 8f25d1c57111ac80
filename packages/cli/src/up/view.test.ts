import { describe, expect, it } from 'vitest';
import { apiVersionOf } from './load.js';
import { percentile, renderView } from './view.js';

describe('percentile', () => {
  it('uses nearest rank', () => {
    const xs = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 99)).toBe(99);
    expect(percentile(xs, 100)).toBe(100);
    expect(percentile([], 50)).toBeUndefined();
    expect(percentile([7], 99)).toBe(7);
  });
});

describe('renderView', () => {
  it('shows golden metrics per service and the measured split', () => {
    const text = renderView({
      uptimeSeconds: 12.7,
      rows: [
        { service: 'web', requestsPerSecond: 20, successRate: 1, p50Ms: 3.25, p99Ms: 41 },
        {
          service: 'store',
          requestsPerSecond: 0,
          successRate: undefined,
          p50Ms: undefined,
          p99Ms: undefined,
        },
      ],
      split: new Map([
        ['api-v2', 10],
        ['api-v1', 90],
      ]),
      notes: ['mTLS: on'],
    });
    expect(text.split('\n')).toEqual([
      'weft demo mesh — up 12s — Ctrl-C to stop',
      '',
      'SERVICE   RPS  SUCCESS    P50   P99',
      'web      20.0  100.00%  3.3ms  41ms',
      'store     0.0        -      -     -',
      '',
      'measured split: api-v1 90.0% / api-v2 10.0%  (100 responses)',
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
