/**
 * The demo application behind `weft up --demo`: small HTTP services that call one another
 * through their weft proxies, plus a load generator. They know nothing of the mesh.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Random } from '@weft/core';

export interface DemoAppOptions {
  /** Name reported in responses, e.g. "api-v2". */
  name: string;
  /** Where this app's calls go (its proxy's upstream listener), if it calls another service. */
  upstream?: { host: string; port: number; path: string };
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
  /** Points the app's calls at a new upstream (its proxy's listener, once that is known). */
  setUpstream(upstream: { host: string; port: number; path: string }): void;
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
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host, port, path, headers, timeout: timeoutMs }, (res: IncomingMessage) => {
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

/** Starts a demo app on 127.0.0.1 with an ephemeral port. */
export async function startDemoApp(options: DemoAppOptions): Promise<DemoApp> {
  const { name, failureRate = 0, random } = options;
  let upstream = options.upstream;
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
    get(upstream.host, upstream.port, upstream.path, forward).then(
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
    },
    close: () =>
      new Promise<void>((resolve) => {
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
