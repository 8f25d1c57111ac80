/** The control plane's admin HTTP server: /healthz, /readyz, /metrics, /version, and /debug/state (loopback only). */

import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describeError } from '@weft/core';
import { type Logger, silentLogger } from '@weft/runtime';
import type { Registry } from 'prom-client';
import type { DashboardRoutes } from '../dashboard/dashboard-routes.js';

/** One readiness check: a source synced, the CA loaded. */
export interface ReadyCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail?: string;
}

export interface AdminServerOptions {
  readonly host: string;
  readonly port: number;
  readonly registry: Registry;
  readonly ready: () => readonly ReadyCheck[];
  readonly debugState: () => unknown;
  /**
   * The trust-anchor rotation report: trust anchors, issuer, rotation step, the proxies that lag.
   * Served at `/debug/identity` (loopback only) and at `/identity/v1/rotation` to any client: the
   * report holds only public certificate facts (fingerprints, serials, expiry, SPIFFE IDs), and
   * `weft check --kubernetes` reads each replica's through the API server's pod proxy, whose
   * connections do not come from loopback.
   */
  readonly debugIdentity?: () => unknown;
  /** Every connected proxy's /metrics, for `weft stat` (GET /proxies/metrics). */
  readonly proxyMetrics?: () => Promise<unknown>;
  /** The dashboard's read-only API (`/dashboard/v1/…`), see dashboard/dashboard-routes.ts. */
  readonly dashboard?: DashboardRoutes;
  readonly logger?: Logger;
}

/** This control plane's version (all weft packages share one), for GET /version and `weft version`. */
export const CONTROL_PLANE_VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** True for 127.0.0.0/8, ::1 and their IPv4-mapped forms. */
export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  const a = address.startsWith('::ffff:') ? address.slice(7) : address;
  return a === '::1' || a.startsWith('127.');
}

function send(res: ServerResponse, code: number, type: string, body: string): void {
  res.writeHead(code, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

export class AdminServer {
  private readonly server: Server;
  private readonly logger: Logger;

  constructor(private readonly options: AdminServerOptions) {
    this.logger = options.logger ?? silentLogger();
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        this.logger.error({ err: describeError(err) }, 'admin request failed');
        if (!res.headersSent) send(res, 500, 'text/plain', 'internal error\n');
        else res.destroy();
      });
    });
  }

  /** Listens; resolves with the bound port. Rejects (e.g. EADDRINUSE) when it cannot. */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.server.once('error', onError);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', onError);
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

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'text/plain', 'method not allowed\n');
      return;
    }
    const path = (req.url ?? '/').split('?')[0];
    switch (path) {
      case '/healthz':
        send(res, 200, 'text/plain', 'ok\n');
        return;
      case '/readyz': {
        const checks = this.options.ready();
        const ok = checks.every((c) => c.ok);
        const lines = checks.map(
          (c) => `${c.ok ? '[+]' : '[-]'} ${c.name}${c.detail === undefined ? '' : `: ${c.detail}`}`,
        );
        send(res, ok ? 200 : 503, 'text/plain', `${lines.join('\n')}\n${ok ? 'ready' : 'not ready'}\n`);
        return;
      }
      case '/version':
        send(res, 200, 'application/json', `${JSON.stringify({ version: CONTROL_PLANE_VERSION })}\n`);
        return;
      case '/metrics':
        send(res, 200, this.options.registry.contentType, await this.options.registry.metrics());
        return;
      case '/proxies/metrics':
        if (this.options.proxyMetrics === undefined) {
          send(res, 404, 'text/plain', 'not found\n');
          return;
        }
        send(res, 200, 'application/json', `${JSON.stringify(await this.options.proxyMetrics())}\n`);
        return;
      case '/debug/state':
        if (!isLoopback(req.socket.remoteAddress)) {
          send(res, 403, 'text/plain', '/debug/state is served to loopback clients only\n');
          return;
        }
        send(res, 200, 'application/json', `${JSON.stringify(this.options.debugState(), null, 2)}\n`);
        return;
      case '/identity/v1/rotation':
        if (this.options.debugIdentity === undefined) {
          send(res, 404, 'text/plain', 'not found\n');
          return;
        }
        send(res, 200, 'application/json', `${JSON.stringify(this.options.debugIdentity())}\n`);
        return;
      case '/debug/identity':
        if (this.options.debugIdentity === undefined) {
          send(res, 404, 'text/plain', 'not found\n');
          return;
        }
        if (!isLoopback(req.socket.remoteAddress)) {
          send(res, 403, 'text/plain', '/debug/identity is served to loopback clients only\n');
          return;
        }
        send(res, 200, 'application/json', `${JSON.stringify(this.options.debugIdentity(), null, 2)}\n`);
        return;
      default:
        if (this.options.dashboard !== undefined && (await this.options.dashboard(req, res, path ?? '')))
          return;
        send(res, 404, 'text/plain', 'not found\n');
    }
  }
}
