/**
 * The proxy's admin listener (7191) on the shared runtime admin server. The full surface —
 * /live, /ready, /metrics, /config, /shutdown — binds loopback by default; an optional probe
 * listener on the pod IP serves only /live, /ready and /metrics (kubelet probes, Prometheus).
 * /config and /shutdown are loopback-only routes: the runtime server checks the socket's remote
 * address, never a header, so binding the full surface elsewhere cannot expose them.
 */
import { type AdminRoute, AdminServer as RuntimeAdminServer, sendAdmin } from '@weft/runtime';

/** What the admin endpoints read from the proxy. */
export interface AdminSource {
  /** Why the proxy is not ready, or undefined when it is (certificate held and first config received). */
  notReadyReason(): string | undefined;
  /** Prometheus text. */
  metrics(): string;
  /** Current resources, for /config. */
  config(): unknown;
  /** Starts a graceful shutdown (drain, then exit). */
  shutdown(): void;
}

/**
 * Which endpoints a listener serves: `full` (all five; /config and /shutdown to loopback peers
 * only) or `probes` (/live, /ready, /metrics: what kubelet and Prometheus need from the network).
 */
export type AdminSurface = 'full' | 'probes';

const NOT_FOUND: Record<AdminSurface, string> = {
  full: 'not found: try /live, /ready, /metrics, /config, /shutdown\n',
  probes: 'not found: this listener serves /live, /ready and /metrics\n',
};

function probeRoutes(source: AdminSource): AdminRoute[] {
  return [
    { path: '/live', handle: (_req, res) => sendAdmin(res, 200, 'live\n') },
    {
      path: '/ready',
      handle: (_req, res) => {
        const reason = source.notReadyReason();
        if (reason === undefined) sendAdmin(res, 200, 'ready\n');
        else sendAdmin(res, 503, `not ready: ${reason}\n`);
      },
    },
    {
      path: '/metrics',
      handle: (_req, res) =>
        sendAdmin(res, 200, source.metrics(), 'text/plain; version=0.0.4; charset=utf-8'),
    },
  ];
}

function localRoutes(source: AdminSource): AdminRoute[] {
  return [
    {
      path: '/config',
      loopbackOnly: true,
      handle: (_req, res) =>
        sendAdmin(res, 200, `${JSON.stringify(source.config(), null, 2)}\n`, 'application/json'),
    },
    {
      path: '/shutdown',
      loopbackOnly: true,
      methods: ['POST'],
      handle: (_req, res) => {
        sendAdmin(res, 202, 'shutting down\n');
        source.shutdown();
      },
    },
  ];
}

/** One admin HTTP listener serving `surface`. */
export class AdminServer {
  private readonly server: RuntimeAdminServer;

  constructor(source: AdminSource, surface: AdminSurface = 'full') {
    const routes =
      surface === 'full' ? [...probeRoutes(source), ...localRoutes(source)] : probeRoutes(source);
    this.server = new RuntimeAdminServer({ routes, notFound: NOT_FOUND[surface] });
  }

  listen(host: string, port: number): Promise<number> {
    return this.server.listen(host, port);
  }

  close(): Promise<void> {
    return this.server.close();
  }
}
