/**
 * Gathers the /metrics of every connected proxy for `weft stat` (`GET /proxies/metrics` on
 * the admin server): the CLI cannot reach pods, the control plane can. Bounded concurrency
 * and a timeout per proxy; a proxy that does not answer is reported, not fatal.
 */
import { describeError } from '@weft/core';
import type { ProxyAdminEndpoint } from '../discovery/discovery-service.js';

/** One proxy's answer; `GET /proxies/metrics` answers `{proxies: GatheredProxy[]}` (read by `weft stat`). */
export interface GatheredProxy {
  readonly namespace: string;
  readonly workload: string;
  readonly service: string;
  /** Unix ms when the scrape finished. */
  readonly at: number;
  readonly metrics?: string;
  readonly error?: string;
}

export interface GatherOptions {
  /** Per proxy (ms); default 2000. */
  readonly timeoutMs?: number;
  /** Scrapes in flight at once; default 16. */
  readonly concurrency?: number;
  /** Largest /metrics body accepted (bytes); default 4 MiB. */
  readonly maxBytes?: number;
}

function adminUrl(p: ProxyAdminEndpoint): string {
  const host = p.address.includes(':') ? `[${p.address}]` : p.address;
  return `http://${host}:${p.adminPort}/metrics`;
}

async function scrape(p: ProxyAdminEndpoint, timeoutMs: number, maxBytes: number): Promise<GatheredProxy> {
  const id = { namespace: p.namespace, workload: p.workload, service: p.service };
  try {
    const res = await fetch(adminUrl(p), { signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    if (!res.ok) return { ...id, at: Date.now(), error: `HTTP ${res.status}` };
    if (text.length > maxBytes)
      return { ...id, at: Date.now(), error: `metrics larger than ${maxBytes} bytes` };
    return { ...id, at: Date.now(), metrics: text };
  } catch (err) {
    const cause = (err as { cause?: unknown }).cause;
    return { ...id, at: Date.now(), error: describeError(cause ?? err) };
  }
}

/** Scrapes every proxy; never rejects. */
export async function gatherProxyMetrics(
  proxies: readonly ProxyAdminEndpoint[],
  options: GatherOptions = {},
): Promise<{ proxies: GatheredProxy[] }> {
  const timeoutMs = options.timeoutMs ?? 2000;
  const maxBytes = options.maxBytes ?? 4 * 1024 * 1024;
  const results: GatheredProxy[] = new Array(proxies.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < proxies.length; i = next++) {
      results[i] = await scrape(proxies[i] as ProxyAdminEndpoint, timeoutMs, maxBytes);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 16, proxies.length) }, worker));
  return { proxies: results };
}

/**
 * Coalesces gathers: callers within `reuseMs` of a finished gather get its result, and callers
 * during one share it, so repeated `/proxies/metrics` requests cannot multiply the scrapes.
 */
export function coalescedGather(
  gather: () => Promise<{ proxies: GatheredProxy[] }>,
  options: { reuseMs?: number; now?: () => number } = {},
): () => Promise<{ proxies: GatheredProxy[] }> {
  const reuseMs = options.reuseMs ?? 250;
  const now = options.now ?? Date.now;
  let inFlight: Promise<{ proxies: GatheredProxy[] }> | undefined;
  let last: { at: number; result: { proxies: GatheredProxy[] } } | undefined;
  return () => {
    if (last !== undefined && now() - last.at < reuseMs) return Promise.resolve(last.result);
    inFlight ??= gather().then((result) => {
      last = { at: now(), result };
      inFlight = undefined;
      return result;
    });
    return inFlight;
  };
}
