/**
 * The control plane's admin HTTP server on the shared runtime admin server: /healthz, /readyz,
 * /metrics, /version, /proxies/metrics, the dashboard API, /identity/v1/rotation, and /debug/state
 * and /debug/identity (loopback-only routes: the runtime server checks the socket's remote address).
 */
import { readFileSync } from 'node:fs';
import {
  type AdminRoute,
  type Logger,
  AdminServer as RuntimeAdminServer,
  sendAdmin,
  sendAdminJson,
} from '@weft/runtime';
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

const TEXT = 'text/plain';

function routes(options: AdminServerOptions): AdminRoute[] {
  const { debugIdentity, proxyMetrics } = options;
  const list: AdminRoute[] = [
    { path: '/healthz', handle: (_req, res) => sendAdmin(res, 200, 'ok\n', TEXT) },
    {
      path: '/readyz',
      handle: (_req, res) => {
        const checks = options.ready();
        const ok = checks.every((c) => c.ok);
        const lines = checks.map(
          (c) => `${c.ok ? '[+]' : '[-]'} ${c.name}${c.detail === undefined ? '' : `: ${c.detail}`}`,
        );
        sendAdmin(res, ok ? 200 : 503, `${lines.join('\n')}\n${ok ? 'ready' : 'not ready'}\n`, TEXT);
      },
    },
    {
      path: '/version',
      handle: (_req, res) =>
        sendAdmin(res, 200, `${JSON.stringify({ version: CONTROL_PLANE_VERSION })}\n`, 'application/json'),
    },
    {
      path: '/metrics',
      handle: async (_req, res) =>
        sendAdmin(res, 200, await options.registry.metrics(), options.registry.contentType),
    },
    {
      path: '/debug/state',
      loopbackOnly: true,
      handle: (_req, res) => sendAdminJson(res, 200, options.debugState()),
    },
  ];
  if (proxyMetrics !== undefined) {
    list.push({
      path: '/proxies/metrics',
      handle: async (_req, res) =>
        sendAdmin(res, 200, `${JSON.stringify(await proxyMetrics())}\n`, 'application/json'),
    });
  }
  if (debugIdentity !== undefined) {
    list.push({
      path: '/identity/v1/rotation',
      handle: (_req, res) => sendAdmin(res, 200, `${JSON.stringify(debugIdentity())}\n`, 'application/json'),
    });
    list.push({
      path: '/debug/identity',
      loopbackOnly: true,
      handle: (_req, res) => sendAdminJson(res, 200, debugIdentity()),
    });
  }
  return list;
}

export class AdminServer {
  private readonly server: RuntimeAdminServer;

  constructor(private readonly options: AdminServerOptions) {
    const { dashboard } = options;
    this.server = new RuntimeAdminServer({
      routes: routes(options),
      methods: ['GET', 'HEAD'],
      ...(dashboard === undefined ? {} : { fallback: (req, res, path) => dashboard(req, res, path) }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    });
  }

  /** Listens; resolves with the bound port. Rejects (e.g. EADDRINUSE) when it cannot. */
  listen(): Promise<number> {
    return this.server.listen(this.options.host, this.options.port);
  }

  close(): Promise<void> {
    return this.server.close();
  }
}
