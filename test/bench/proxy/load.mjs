// Load generators for the proxy benchmark, each pinned to the load core:
// wrk (closed loop, maximum throughput), h2load (open loop at a fixed rate, with a
// per-request log for exact percentiles), iperf3 (opaque TCP throughput).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPinned } from './processes.mjs';

/** Maximum requests/s: `wrk -t1 -cN` for `seconds`. Throws if any request failed. */
export async function maxThroughput({ core, url, connections, seconds }) {
  const out = await runPinned(
    'wrk',
    core,
    'wrk',
    ['-t1', `-c${connections}`, `-d${seconds}s`, url],
    (seconds + 30) * 1000,
  );
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  if (!rps) throw new Error(`cannot read wrk output: ${out}`);
  const errors = [/Non-2xx or 3xx responses: (\d+)/, /Socket errors: (.*)/]
    .map((re) => re.exec(out)?.[0])
    .filter(Boolean);
  if (errors.length > 0) throw new Error(`wrk saw failures against ${url}: ${errors.join('; ')}`);
  return Number(rps[1]);
}

/** The nearest-rank percentile of an ascending array. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)];
}

/**
 * Summarizes h2load's per-request log (start µs since epoch, status, µs to the end of the
 * response; one request a line): drops the requests started in the first `warmupSeconds`,
 * then returns p50/p90/p99/max in ms, the achieved rate, the count and how many were not 200.
 */
export function summarizeRequestLog(text, warmupSeconds) {
  const rows = text
    .trim()
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.split('\t').map(Number));
  const start = rows.reduce((min, r) => Math.min(min, r[0]), Number.POSITIVE_INFINITY);
  const cutoff = start + warmupSeconds * 1e6;
  const kept = rows.filter((r) => r[0] >= cutoff);
  const latencies = kept.map((r) => r[2] / 1000).sort((a, b) => a - b);
  const span = (kept.reduce((max, r) => Math.max(max, r[0]), 0) - cutoff) / 1e6;
  return {
    p50: percentile(latencies, 50),
    p90: percentile(latencies, 90),
    p99: percentile(latencies, 99),
    max: latencies.length > 0 ? latencies[latencies.length - 1] : Number.NaN,
    achievedRate: kept.length / Math.max(span, 1e-9),
    count: kept.length,
    non200: kept.filter((r) => r[1] !== 200).length,
  };
}

/**
 * Latency at a fixed rate: h2load over HTTP/1.1, `connections` connections started 1 ms
 * apart, each sending rate/connections requests per second, so requests are evenly
 * spread rather than fired in bursts. The first `warmupSeconds` of requests are dropped.
 * Returns p50/p99/max in ms from h2load's per-request log.
 */
export async function fixedRateLatency({ core, url, rate, connections, seconds, warmupSeconds }) {
  const dir = mkdtempSync(join(tmpdir(), 'weft-bench-h2load-'));
  const log = join(dir, 'requests.tsv');
  try {
    const total = Math.round(rate * (seconds + warmupSeconds));
    const args = ['--h1', `-c${connections}`, '-r1', '--rate-period=1ms', `--rps=${rate / connections}`];
    args.push(`-n${total}`, `--log-file=${log}`, url);
    const out = await runPinned('h2load', core, 'h2load', args, (seconds + warmupSeconds + 60) * 1000);
    const done = /requests: (\d+) total, \d+ started, (\d+) done, (\d+) succeeded/.exec(out);
    if (!done || done[3] !== String(total)) throw new Error(`h2load: not every request succeeded: ${out}`);
    const summary = summarizeRequestLog(readFileSync(log, 'utf8'), warmupSeconds);
    if (summary.non200 > 0) throw new Error(`h2load: ${summary.non200} non-200 responses from ${url}`);
    return summary;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Opaque TCP throughput in Gbit/s: iperf3 client -> port (one stream, client sends with sendfile). */
export async function tcpThroughput({ core, port, seconds }) {
  const args = ['-c', '127.0.0.1', '-p', String(port), '-t', String(seconds), '-J', '-Z', '-A', String(core)];
  const out = await runPinned('iperf3', core, 'iperf3', args, (seconds + 30) * 1000);
  const json = JSON.parse(out);
  if (json.error) throw new Error(`iperf3: ${json.error}`);
  return json.end.sum_received.bits_per_second / 1e9;
}
