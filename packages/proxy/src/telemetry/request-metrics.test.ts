import { histogramBuckets, histogramQuantile, parsePrometheusText, sumSamples } from '@weft/runtime';
import { describe, expect, it } from 'vitest';
import { OVERFLOW_LABEL, RequestMetrics } from './request-metrics.js';

const labels = {
  direction: 'outbound',
  authority: 'api.shop.svc.cluster.local:80',
  route: 'default',
  peerIdentity: 'spiffe://cluster.local/ns/shop/sa/api',
  tls: true,
} as const;

describe('RequestMetrics', () => {
  it('returns the same series for the same labels and renders parseable families', () => {
    const m = new RequestMetrics();
    const s = m.series(labels);
    expect(m.series({ ...labels })).toBe(s);
    expect(m.series({ ...labels, tls: false })).not.toBe(s);
    s.record(200, 0.3);
    s.record(200, 7);
    s.record(503, 120);
    m.series({ ...labels, direction: 'inbound' }).record(0, 1);
    const samples = parsePrometheusText(m.render());
    const match = { direction: 'outbound', authority: labels.authority, tls: 'true' };
    expect(sumSamples(samples, 'weft_requests_total', match)).toBe(3);
    expect(sumSamples(samples, 'weft_responses_total', { ...match, status_code: '200' })).toBe(2);
    expect(sumSamples(samples, 'weft_responses_total', { ...match, classification: 'failure' })).toBe(1);
    expect(
      sumSamples(samples, 'weft_responses_total', {
        direction: 'inbound',
        status_code: '',
        classification: 'failure',
      }),
    ).toBe(1);
    expect(histogramBuckets(samples, 'weft_response_latency_ms', match).map((b) => [b.le, b.count])).toEqual([
      [0.25, 0],
      [0.5, 1],
      [1, 1],
      [2, 1],
      [3, 1],
      [5, 1],
      [10, 2],
      [25, 2],
      [50, 2],
      [100, 2],
      [250, 3],
      [500, 3],
      [1000, 3],
      [2500, 3],
      [5000, 3],
      [10000, 3],
      [Number.POSITIVE_INFINITY, 3],
    ]);
  });

  it('folds label values past a cap into _other and counts the overflow', () => {
    const m = new RequestMetrics({ maxAuthorities: 2 });
    for (const authority of ['a:80', 'b:80', 'c:80', 'd:80'])
      m.series({ ...labels, authority }).record(200, 1);
    const samples = parsePrometheusText(m.render());
    expect(sumSamples(samples, 'weft_requests_total', { authority: OVERFLOW_LABEL })).toBe(2);
    expect(sumSamples(samples, 'weft_requests_total', { authority: 'a:80' })).toBe(1);
    expect(sumSamples(samples, 'weft_metric_label_overflows_total')).toBe(2);
  });

  it('escapes label values', () => {
    const m = new RequestMetrics();
    m.series({ ...labels, authority: 'we"ird\\host\n' }).record(200, 1);
    const samples = parsePrometheusText(m.render());
    expect(sumSamples(samples, 'weft_requests_total', { authority: 'we"ird\\host\n' })).toBe(1);
  });
});

describe('prometheus text', () => {
  it('reads samples with and without labels, special values, and rejects malformed lines', () => {
    const samples = parsePrometheusText(
      '# HELP x y\nup 1\nx{a="1",b="two words"} 2.5 1700000000\ny{le="+Inf"} +Inf\n',
    );
    expect(samples).toEqual([
      { name: 'up', labels: {}, value: 1 },
      { name: 'x', labels: { a: '1', b: 'two words' }, value: 2.5 },
      { name: 'y', labels: { le: '+Inf' }, value: Number.POSITIVE_INFINITY },
    ]);
    expect(() => parsePrometheusText('x{a=1} 2')).toThrow(/line 1: label a: value must be quoted/);
    expect(() => parsePrometheusText('ok 1\nx{a="1"} nope')).toThrow(/line 2: "nope" is not a sample value/);
  });

  it('computes quantiles by linear interpolation within buckets', () => {
    const buckets = [
      { le: 10, count: 50 },
      { le: 20, count: 90 },
      { le: Number.POSITIVE_INFINITY, count: 100 },
    ];
    expect(histogramQuantile(0.5, buckets)).toBe(10);
    expect(histogramQuantile(0.7, buckets)).toBe(15);
    expect(histogramQuantile(0.25, buckets)).toBe(5);
    expect(histogramQuantile(0.99, buckets)).toBe(20);
    expect(histogramQuantile(0.5, [{ le: Number.POSITIVE_INFINITY, count: 0 }])).toBeUndefined();
  });
});
