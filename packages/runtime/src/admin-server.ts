/**
 * The one admin HTTP server every weft binary runs (the proxy's 7191, the control plane's 7990):
 * a table of exact-path routes, the limits every admin listener keeps, and the loopback-only rule.
 *
 * A route marked `loopbackOnly` is served only when the socket's remote address is a loopback
 * address (127.0.0.0/8, ::1, ::ffff:127.0.0.0/104); any other peer gets 403, whatever address
 * the listener is bound to. Headers (`X-Forwarded-For`, `Forwarded`, `Host`) are never consulted.
 * This file is the only place that rule is enforced; `test/e2e/admin-loopback-netns.test.ts`
 * checks it for every binary from a peer in another network namespace.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, BlockList, isIPv6 } from 'node:net';
import { describeError } from '@weft/core';
import { type Logger, silentLogger } from './logging.js';

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');
LOOPBACK.addSubnet('::ffff:127.0.0.0', 104, 'ipv6');

/** True when `address` (a socket's remote address, or an IP literal) is a loopback address. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined || address === '') return false;
  try {
    return LOOPBACK.check(address, isIPv6(address) ? 'ipv6' : 'ipv4');
  } catch {
    return false;
  }
}

/** Writes a whole answer: `content-length` set, never cached. */
export function sendAdmin(
  res: ServerResponse,
  status: number,
  body: string,
  type = 'text/plain; charset=utf-8',
): void {
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(body);
}

/** Writes `value` as indented JSON. */
export function sendAdminJson(res: ServerResponse, status: number, value: unknown): void {
  sendAdmin(res, status, `${JSON.stringify(value, null, 2)}\n`, 'application/json');
}

/** One admin endpoint, matched by its exact path (the query string is ignored). */
export interface AdminRoute {
  readonly path: string;
  /** Served to loopback peers only (checked first, by socket address); others get 403. */
  readonly loopbackOnly?: boolean;
  /** The methods this route accepts (405 with `allow` otherwise); any method when absent. */
  readonly methods?: readonly string[];
  /** Answers the request; a throw or rejection becomes a 500 and a log line. */
  handle(req: IncomingMessage, res: ServerResponse): void | Promise<void>;
}

export interface AdminServerOptions {
  readonly routes: readonly AdminRoute[];
  /** Methods the whole server accepts, checked before any route (405 otherwise); any when absent. */
  readonly methods?: readonly string[];
  /**
   * Asked when no route matches: true when it answered (the control plane's dashboard API
   * mounts here). Never sees a loopback-only path.
   */
  readonly fallback?: (req: IncomingMessage, res: ServerResponse, path: string) => boolean | Promise<boolean>;
  /** The 404 body; names what this listener serves. */
  readonly notFound?: string;
  readonly logger?: Logger;
}

/**
 * One admin HTTP listener. Caps itself the same way for every binary: 256 connections, 10 s for
 * a request head, 30 s per request, 100 header fields, 5 s keep-alive.
 */
export class AdminServer {
  private readonly server: Server;
  private readonly routes: ReadonlyMap<string, AdminRoute>;
  private readonly logger: Logger;

  constructor(private readonly options: AdminServerOptions) {
    const routes = new Map<string, AdminRoute>();
    for (const route of options.routes) {
      if (routes.has(route.path)) throw new Error(`admin route ${route.path} is declared twice`);
      routes.set(route.path, route);
    }
    this.routes = routes;
    this.logger = options.logger ?? silentLogger();
    this.server = createServer((req, res) => {
      this.dispatch(req, res).catch((err: unknown) => {
        this.logger.error({ err: describeError(err), path: req.url }, 'admin request failed');
        if (!res.headersSent) sendAdmin(res, 500, 'internal error\n');
        else res.destroy();
      });
    });
    this.server.keepAliveTimeout = 5000;
    this.server.headersTimeout = 10_000;
    this.server.requestTimeout = 30_000;
    this.server.maxHeadersCount = 100;
    // Probes and scrapes are few; a flood of connections must not grow without bound.
    this.server.maxConnections = 256;
  }

  /** Listens; resolves with the bound port. Rejects (e.g. EADDRINUSE) when it cannot. */
  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const allowed = this.options.methods;
    if (allowed !== undefined && !allowed.includes(method)) {
      res.setHeader('allow', allowed.join(', '));
      sendAdmin(res, 405, 'method not allowed\n');
      return;
    }
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const route = this.routes.get(path);
    if (route === undefined) {
      if (this.options.fallback !== undefined && (await this.options.fallback(req, res, path))) return;
      sendAdmin(res, 404, this.options.notFound ?? 'not found\n');
      return;
    }
    if (route.loopbackOnly === true && !isLoopbackAddress(req.socket.remoteAddress)) {
      sendAdmin(res, 403, `${route.path} is served to loopback clients only\n`);
      return;
    }
    if (route.methods !== undefined && !route.methods.includes(method)) {
      res.setHeader('allow', route.methods.join(', '));
      sendAdmin(res, 405, `use ${route.methods.join(' or ')} ${route.path}\n`);
      return;
    }
    await route.handle(req, res);
  }
}
