/**
 * The demo application behind `weft up --demo`: small HTTP services that call one another
 * through their weft proxies, plus a load generator. They know nothing of the mesh.
 */
import { Resolver } from 'node:dns';
import { Agent, createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, LookupFunction } from 'node:net';
import type { Random } from '@weft/core';

/**
 * Where an app's calls go: a host and port (its proxy's upstream listener), or, with `dns`, a
 * Service name such as `api.demo.svc.cluster.local` resolved through that DNS server (its proxy's
 * DNS address, as a user's app would get it from WEFT_DNS; see docs/dns.md).
 */
export interface DemoUpstream {
  readonly host: string;
  readonly port: number;
  readonly path: string;
  /** `127.0.0.1:PORT` of the DNS server that resolves `host`. */
  readonly dns?: string;
}

export interface DemoAppOptions {
  /** Name reported in responses, e.g. "api-v2". */
  name: string;
  /** Where this app's calls go, if it calls another service. */
  upstream?: DemoUpstream;
  /** Fraction of requests answered 503, to show retries. */
  failureRate?: number;
  random: Random;
  /** Called with each request's handling time (ms, from arrival to the response's end). */
  onServed?: (ms: number) => void;
}

/** A running demo app. */
export interface DemoApp {
  readonly name: string;
  readonly port: number;
  /** Points the app's calls at a new upstream (its proxy's listener or DNS, once that is known). */
  setUpstream(upstream: DemoUpstream): void;
  close(): Promise<void>;
}

const MAX_BODY = 64 * 1024;

/** Sends a GET and resolves with the status and body (bounded), or rejects on a socket error. */
export function get(
  host: string,
  port: number,
  path: string,
  headers: Record<string, string> = {},
  timeoutMs = 5000,
  lookup?: LookupFunction,
  agent?: Agent,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const options = {
      host,
      port,
      path,
      headers,
      timeout: timeoutMs,
      ...(lookup === undefined ? {} : { lookup }),
      ...(agent === undefined ? {} : { agent }),
    };
    const req = httpRequest(options, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= MAX_BODY) chunks.push(c);
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** A `lookup` for http.request that asks one DNS server (A records) instead of the system's resolver. */
export function lookupVia(server: string): LookupFunction {
  const resolver = new Resolver({ timeout: 2000, tries: 2 });
  resolver.setServers([server]);
  return (hostname, options, callback) => {
    resolver.resolve4(hostname, (err, addresses) => {
      const first = addresses?.[0];
      if (err !== null || first === undefined) {
        callback(err ?? new Error(`${hostname}: no address`), '', 4);
        return;
      }
      // Node 20 asks for every address when it may try several (autoSelectFamily).
      if (options.all === true)
        (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(
          null,
          addresses.map((address) => ({ address, family: 4 })),
        );
      else callback(null, first, 4);
    });
  };
}

/** Starts a demo app on 127.0.0.1 with an ephemeral port. */
export async function startDemoApp(options: DemoAppOptions): Promise<DemoApp> {
  const { name, failureRate = 0, random } = options;
  let upstream = options.upstream;
  let lookup = upstream?.dns === undefined ? undefined : lookupVia(upstream.dns);
  // Its own connection pool, as an app in its own process has: the demo's apps share one
  // process, and the global agent pools by host name, so api-v2 would reuse api-v1's
  // connections to store.demo.svc.cluster.local, which go to api-v1's proxy.
  const agent = new Agent({ keepAlive: true });
  const server: Server = createServer((req, res) => {
    req.resume();
    const arrived = performance.now();
    res.once('finish', () => options.onServed?.(performance.now() - arrived));
    if (random.next() < failureRate) {
      res.writeHead(503, { 'content-type': 'text/plain' }).end(`${name}: injected failure\n`);
      return;
    }
    if (upstream === undefined) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ served_by: name }));
      return;
    }
    // Forward the trace headers so the demo shows one trace across every hop.
    const forward: Record<string, string> = {};
    for (const h of ['traceparent', 'tracestate', 'b3', 'x-b3-traceid', 'x-b3-spanid', 'x-b3-sampled']) {
      const v = req.headers[h];
      if (typeof v === 'string') forward[h] = v;
    }
    get(upstream.host, upstream.port, upstream.path, forward, 5000, lookup, agent).then(
      (up) => {
        const status = up.status >= 500 ? 502 : 200;
        res
          .writeHead(status, { 'content-type': 'application/json' })
          .end(JSON.stringify({ served_by: name, upstream_status: up.status, upstream: safeJson(up.body) }));
      },
      (err: Error) => {
        res
          .writeHead(502, { 'content-type': 'text/plain' })
          .end(`${name}: upstream failed: ${err.message}\n`);
      },
    );
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    name,
    port,
    setUpstream: (u) => {
      upstream = u;
      lookup = u.dns === undefined ? undefined : lookupVia(u.dns);
    },
    close: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text.slice(0, 200);
  }
}
