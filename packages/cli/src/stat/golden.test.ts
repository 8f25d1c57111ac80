import { parsePrometheusText } from '@weft/runtime';
import { describe, expect, it } from 'vitest';
import { goldenMetrics, type ProxyScrape, renderStatTable } from './golden.js';

const labels = 'direction="inbound",authority="api:80",route="",peer_identity="",tls="true"';

/** A scrape of a proxy whose inbound side saw `ok` 200s and `failed` 503s, all in the 5 ms bucket. */
function scrape(
  workload: string,
  service: string,
  ok: number,
  failed: number,
  at: number,
  start = 0,
): ProxyScrape {
  const n = ok + failed;
  const text = [
    `process_start_time_seconds ${start}`,
    `weft_requests_total{${labels}} ${n}`,
    `weft_responses_total{${labels},status_code="200",classification="success"} ${ok}`,
    `weft_responses_total{${labels},status_code="503",classification="failure"} ${failed}`,
    `weft_response_latency_ms_bucket{${labels},le="1"} 0`,
    `weft_response_latency_ms_bucket{${labels},le="5"} ${n}`,
    `weft_response_latency_ms_bucket{${labels},le="+Inf"} ${n}`,
    // Outbound traffic of the same proxy is not the service's own.
    'weft_requests_total{direction="outbound",authority="db:5432",route="",peer_identity="",tls="true"} 1000',
  ].join('\n');
  return { ok: true, namespace: 'shop', workload, service, samples: parsePrometheusText(text), at };
}

describe('goldenMetrics', () => {
  it('sums the inbound side of every proxy of a service between two scrapes', () => {
    const before = [scrape('api-1', 'api', 10, 0, 1_000_000), scrape('api-2', 'api', 5, 5, 1_000_000)];
    const after = [
      scrape('api-1', 'api', 40, 0, 1_010_000),
      scrape('api-2', 'api', 25, 15, 1_010_000),
      scrape('web-1', 'web', 0, 0, 1_010_000),
      { ok: false, namespace: 'shop', workload: 'api-3', service: 'api', error: 'timeout' } as const,
    ];
    const [api, web] = goldenMetrics(after, before);
    expect(api).toMatchObject({
      service: 'api',
      proxies: 2,
      unreachable: 1,
      requests: 60,
      requestsPerSecond: 6,
    });
    expect(api?.successRate).toBeCloseTo(50 / 60);
    // Every request is in (1, 5]: interpolated within that bucket.
    expect(api?.p50Ms).toBeCloseTo(3);
    expect(api?.p99Ms).toBeCloseTo(4.96);
    expect(web).toMatchObject({
      service: 'web',
      requests: 0,
      requestsPerSecond: 0,
      successRate: undefined,
      p50Ms: undefined,
    });
  });

  it("uses each proxy's uptime without a first scrape, and restarts reset the baseline", () => {
    const [since] = goldenMetrics([scrape('api-1', 'api', 90, 10, 200_000, 100)]);
    expect(since).toMatchObject({ requests: 100, requestsPerSecond: 1, successRate: 0.9 });
    const [restarted] = goldenMetrics(
      [scrape('api-1', 'api', 3, 0, 20_000)],
      [scrape('api-1', 'api', 50, 0, 10_000)],
    );
    expect(restarted).toMatchObject({ requests: 3, requestsPerSecond: 0.3 });
  });

  it('renders a table', () => {
    const table = renderStatTable(goldenMetrics([scrape('api-1', 'api', 99, 1, 200_000, 100)]));
    expect(table.split('\n')[0]).toMatch(/^NAMESPACE\s+SERVICE\s+MESHED\s+SUCCESS\s+RPS\s+P50\s+P95\s+P99$/);
    expect(table.split('\n')[1]).toMatch(/^shop\s+api\s+1\s+99\.00%\s+1\.0\s+3\.0ms\s+4\.8ms\s+5\.0ms$/);
  });
});
