/**
 * Golden metrics of two sidecars after a known traffic pattern, read from their admin
 * /metrics as Prometheus text: counts by status, histogram buckets, transport and identity.
 */

import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { A_ID, B_AUTHORITY, B_ID, startMeshPair } from '@weft/proxy/testing';
import { histogramBuckets, parsePrometheusText, type Sample, sumSamples } from '@weft/runtime';
import { afterEach, describe, expect, it } from 'vitest';

const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

const SLOW_MS = 30;

async function app(): Promise<number> {
  const server = http.createServer((req, res) => {
    const m = /^\/status\/(\d{3})$/.exec(req.url ?? '');
    res.statusCode = m ? Number(m[1]) : 200;
    if (req.url === '/slow') setTimeout(() => res.end('slow'), SLOW_MS);
    else res.end('ok');
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
  return (server.address() as AddressInfo).port;
}

function get(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

async function scrape(adminPort: number): Promise<Sample[]> {
  const res = await fetch(`http://127.0.0.1:${adminPort}/metrics`);
  expect(res.status).toBe(200);
  return parsePrometheusText(await res.text());
}

describe('proxy metrics after a known traffic pattern', () => {
  it('counts requests and responses by status, fills latency buckets, and counts connections and handshakes', async () => {
    const pair = await startMeshPair(await app());
    closers.push(() => pair.close());
    pair.pushDestination();
    // 500 is not retried by default (503 is: a gateway error), so each is one upstream request.
    const pattern = [...Array<string>(5).fill('/ok'), '/status/500', '/status/500', '/status/404', '/slow'];
    for (const path of pattern) await get(pair.upstreamPort, path);

    const a = await scrape(pair.aPorts.admin);
    const out = { direction: 'outbound', authority: B_AUTHORITY, peer_identity: B_ID, tls: 'true' };
    expect(sumSamples(a, 'weft_requests_total', out)).toBe(9);
    expect(sumSamples(a, 'weft_requests_total')).toBe(9);
    expect(
      sumSamples(a, 'weft_responses_total', { ...out, status_code: '200', classification: 'success' }),
    ).toBe(6);
    expect(
      sumSamples(a, 'weft_responses_total', { ...out, status_code: '500', classification: 'failure' }),
    ).toBe(2);
    expect(
      sumSamples(a, 'weft_responses_total', { ...out, status_code: '404', classification: 'success' }),
    ).toBe(1);

    const buckets = histogramBuckets(a, 'weft_response_latency_ms', out);
    expect(buckets.at(-1)).toEqual({ le: Number.POSITIVE_INFINITY, count: 9 });
    for (let i = 1; i < buckets.length; i++) {
      expect(buckets[i]?.count).toBeGreaterThanOrEqual(buckets[i - 1]?.count ?? 0);
    }
    // The slow request took at least SLOW_MS, so it is above the 25 ms bucket.
    expect(buckets.find((b) => b.le === 25)?.count).toBeLessThanOrEqual(8);
    expect(buckets.find((b) => b.le === 10000)?.count).toBe(9);
    expect(sumSamples(a, 'weft_response_latency_ms_count', out)).toBe(9);
    expect(sumSamples(a, 'weft_response_latency_ms_sum', out)).toBeGreaterThanOrEqual(SLOW_MS);

    const b = await scrape(pair.bPorts.admin);
    const inbound = { direction: 'inbound', peer_identity: A_ID, tls: 'true' };
    expect(sumSamples(b, 'weft_requests_total', inbound)).toBe(9);
    expect(sumSamples(b, 'weft_responses_total', { ...inbound, status_code: '500' })).toBe(2);
    expect(sumSamples(b, 'weft_responses_total', { ...inbound, classification: 'success' })).toBe(7);
    expect(sumSamples(b, 'weft_response_latency_ms_count', inbound)).toBe(9);

    // Transport: one client connection per request (no keep-alive), pooled mTLS to B.
    expect(sumSamples(a, 'weft_tcp_open_total', { peer: 'src', target: 'upstream' })).toBe(9);
    expect(sumSamples(a, 'weft_tcp_open_total', { peer: 'dst', target: 'mesh' })).toBeGreaterThanOrEqual(1);
    expect(sumSamples(a, 'weft_tcp_read_bytes_total', { peer: 'src' })).toBeGreaterThan(0);
    expect(sumSamples(a, 'weft_tcp_write_bytes_total', { peer: 'dst', target: 'mesh' })).toBeGreaterThan(0);
    expect(sumSamples(a, 'weft_tls_handshakes_total', { side: 'client', result: 'ok' })).toBe(
      sumSamples(a, 'weft_tcp_open_total', { peer: 'dst', target: 'mesh' }),
    );
    expect(
      sumSamples(b, 'weft_tls_handshakes_total', { side: 'server', result: 'ok' }),
    ).toBeGreaterThanOrEqual(1);
    expect(sumSamples(b, 'weft_tcp_open_total', { peer: 'dst', target: 'plain' })).toBeGreaterThanOrEqual(1);

    const expiry = sumSamples(a, 'weft_identity_cert_expiration_timestamp_seconds');
    expect(expiry).toBeGreaterThan(Date.now() / 1000);
    expect(sumSamples(a, 'weft_identity_cert_rotations_total')).toBe(0);

    // Low cardinality: no label carries a path or a client address.
    for (const s of [...a, ...b]) {
      expect(Object.keys(s.labels).filter((k) => /path|url|client|remote/.test(k))).toEqual([]);
      for (const v of Object.values(s.labels)) expect(v).not.toMatch(/\/(ok|slow|status)/);
    }
  });

  it('counts failed TLS handshakes when an endpoint presents the wrong identity', async () => {
    const pair = await startMeshPair(await app());
    closers.push(() => pair.close());
    pair.pushDestination({ identity: 'spiffe://cluster.local/ns/default/sa/someone-else' });
    expect(await get(pair.upstreamPort, '/ok')).toBeGreaterThanOrEqual(500);
    const a = await scrape(pair.aPorts.admin);
    expect(
      sumSamples(a, 'weft_tls_handshakes_total', {
        side: 'client',
        result: 'failure',
        reason: 'identity-mismatch',
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(sumSamples(a, 'weft_responses_total', { direction: 'outbound', classification: 'failure' })).toBe(
      1,
    );
  });
});
