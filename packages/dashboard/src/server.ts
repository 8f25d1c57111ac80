/**
 * The `weft dashboard` HTTP server: the built static assets, and the mesh as server-sent events.
 * One poll of the control plane per interval, shared by every open tab (none while no tab is
 * open). Read-only (GET and HEAD only), answers only requests addressed to it by a loopback or
 * its own listen name (DNS rebinding), and a strict Content-Security-Policy: the page loads
 * nothing from anywhere else.
 */

import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describeError } from '@weft/core';
import { type Logger, silentLogger } from '@weft/runtime';
import type { Upstream } from './upstream.js';

/** The built assets (npm run build:web), beside src/ and dist/. */
export const WEB_DIST = new URL('../web-dist/', import.meta.url);

const ASSETS: Readonly<Record<string, string>> = {
  '/': 'index.html',
  '/index.html': 'index.html',
  '/app.js': 'app.js',
  '/app.css': 'app.css',
};
const TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
/** Bytes queued to one event stream before it is closed as too slow. */
export const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
/** Open event streams at most (each is one socket; the poll is shared). */
export const MAX_CLIENTS = 64;

export interface DashboardServerOptions {
  readonly host: string;
  readonly port: number;
  readonly upstream: Upstream;
  /** `local` or `kubernetes`: shown in the header. */
  readonly mode: 'local' | 'kubernetes';
  /** Jaeger's UI (e.g. http://127.0.0.1:16686): links to its search when tracing is configured. */
  readonly jaegerUrl?: string | undefined;
  /** Poll period (ms); default 2000. */
  readonly intervalMs?: number;
  readonly logger?: Logger;
}

/** True for names that reach this machine only. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

export class DashboardServer {
  private readonly server: Server;
  private readonly logger: Logger;
  private readonly intervalMs: number;
  private readonly clients = new Set<ServerResponse>();
  private latest: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private port = 0;

  constructor(private readonly options: DashboardServerOptions) {
    this.logger = options.logger ?? silentLogger();
    this.intervalMs = options.intervalMs ?? 2000;
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        this.logger.error({ err: describeError(err) }, 'dashboard request failed');
        if (!res.headersSent) this.send(res, 502, 'text/plain; charset=utf-8', `${describeError(err)}\n`);
        else res.destroy();
      });
    });
  }

  /** Listens; resolves with the bound port. */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        this.port = (this.server.address() as AddressInfo).port;
        resolve(this.port);
      });
    });
  }

  /** Open event streams now. */
  clientCount(): number {
    return this.clients.size;
  }

  /** The URL to print. */
  url(): string {
    const h = this.options.host.includes(':') ? `[${this.options.host}]` : this.options.host;
    return `http://${h === '0.0.0.0' || h === '[::]' ? '127.0.0.1' : h}:${this.port}/`;
  }

  close(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    for (const c of this.clients) c.end();
    this.clients.clear();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private send(res: ServerResponse, code: number, type: string, body: string | Buffer): void {
    res.writeHead(code, {
      'content-type': type,
      'cache-control': 'no-store',
      'content-security-policy': CSP,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    });
    res.end(body);
  }

  private allowedHost(req: IncomingMessage): boolean {
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    return isLoopbackHost(host) || host === this.options.host.replace(/^\[|\]$/g, '');
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      this.send(res, 405, 'text/plain; charset=utf-8', 'the dashboard is read-only\n');
      return;
    }
    if (!this.allowedHost(req)) {
      this.send(res, 421, 'text/plain; charset=utf-8', 'unexpected Host header\n');
      return;
    }
    const url = new URL(req.url ?? '/', 'http://dashboard');
    const asset = ASSETS[url.pathname];
    if (asset !== undefined) {
      const body = await readFile(new URL(asset, WEB_DIST)).catch(() => undefined);
      if (body === undefined) {
        this.send(res, 500, 'text/plain; charset=utf-8', 'dashboard assets not built: run npm run build\n');
        return;
      }
      this.send(res, 200, TYPES[asset.split('.').pop() ?? ''] ?? 'application/octet-stream', body);
      return;
    }
    switch (url.pathname) {
      case '/api/info':
        this.send(
          res,
          200,
          'application/json',
          JSON.stringify({
            mode: this.options.mode,
            source: this.options.upstream.description,
            jaegerUrl: this.options.jaegerUrl ?? null,
            intervalMs: this.intervalMs,
          }),
        );
        return;
      case '/api/snapshot':
        this.send(
          res,
          200,
          'application/json',
          JSON.stringify(await this.options.upstream.get('/dashboard/v1/snapshot')),
        );
        return;
      case '/api/proxy-config': {
        const id = (url.searchParams.get('id') ?? '').slice(0, 256);
        const path = `/dashboard/v1/proxy-config?id=${encodeURIComponent(id)}`;
        this.send(res, 200, 'application/json', JSON.stringify(await this.options.upstream.get(path)));
        return;
      }
      case '/api/events':
        this.subscribe(res);
        return;
      default:
        this.send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
    }
  }

  /** A server-sent event stream: the latest snapshot now, then each new one. */
  private subscribe(res: ServerResponse): void {
    if (this.clients.size >= MAX_CLIENTS) {
      this.send(res, 503, 'text/plain; charset=utf-8', `at most ${MAX_CLIENTS} open dashboards\n`);
      return;
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    res.write(`retry: ${this.intervalMs}\n\n`);
    if (this.latest !== undefined) res.write(this.latest);
    this.clients.add(res);
    res.on('close', () => this.clients.delete(res));
    if (!this.polling) this.poll();
  }

  /** Polls the control plane every interval while any stream is open. */
  private poll(): void {
    this.polling = true;
    const started = Date.now();
    this.options.upstream
      .get('/dashboard/v1/snapshot')
      .then(
        (snapshot) => this.broadcast(`event: snapshot\ndata: ${JSON.stringify(snapshot)}\n\n`),
        (err: unknown) =>
          this.broadcast(`event: problem\ndata: ${JSON.stringify({ error: describeError(err) })}\n\n`, false),
      )
      .finally(() => {
        if (this.clients.size === 0) {
          this.polling = false;
          return;
        }
        this.timer = setTimeout(() => this.poll(), Math.max(0, started + this.intervalMs - Date.now()));
      });
  }

  private broadcast(message: string, keep = true): void {
    if (keep) this.latest = message;
    for (const c of this.clients) {
      // A tab that does not read is dropped rather than buffered without bound (it reconnects).
      if (c.writableLength > MAX_BUFFERED_BYTES) {
        c.destroy();
        this.clients.delete(c);
      } else c.write(message);
    }
  }
}
