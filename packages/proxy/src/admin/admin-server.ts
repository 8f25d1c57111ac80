/**
 * The admin listener (7191). The full surface — /live, /ready, /metrics, /config, /shutdown — binds
 * loopback by default; an optional probe listener on the pod IP serves only /live, /ready and
 * /metrics (kubelet probes, Prometheus). /config and /shutdown also check the socket's remote
 * address, never a header, so binding the full surface elsewhere cannot expose them.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, BlockList, isIPv6 } from 'node:net';

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

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');
LOOPBACK.addSubnet('::ffff:127.0.0.0', 104, 'ipv6');

/** True when `address` (a socket's remote address) is a loopback address. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined || address === '') return false;
  try {
    return LOOPBACK.check(address, isIPv6(address) ? 'ipv6' : 'ipv4');
  } catch {
    return false;
  }
}

function send(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const NOT_FOUND: Record<AdminSurface, string> = {
  full: 'not found: try /live, /ready, /metrics, /config, /shutdown\n',
  probes: 'not found: this listener serves /live, /ready and /metrics\n',
};

function handle(source: AdminSource, surface: AdminSurface, req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? '/').split('?')[0];
  switch (path) {
    case '/live':
      send(res, 200, 'live\n');
      return;
    case '/ready': {
      const reason = source.notReadyReason();
      if (reason === undefined) send(res, 200, 'ready\n');
      else send(res, 503, `not ready: ${reason}\n`);
      return;
    }
    case '/metrics':
      send(res, 200, source.metrics(), 'text/plain; version=0.0.4; charset=utf-8');
      return;
  }
  if (surface === 'probes') {
    send(res, 404, NOT_FOUND.probes);
    return;
  }
  switch (path) {
    case '/config':
      if (!isLoopbackAddress(req.socket.remoteAddress)) {
        send(res, 403, '/config is only served to loopback clients\n');
        return;
      }
      send(res, 200, `${JSON.stringify(source.config(), null, 2)}\n`, 'application/json');
      return;
    case '/shutdown':
      if (!isLoopbackAddress(req.socket.remoteAddress)) {
        send(res, 403, '/shutdown is only served to loopback clients\n');
        return;
      }
      if (req.method !== 'POST') {
        res.setHeader('allow', 'POST');
        send(res, 405, 'use POST /shutdown\n');
        return;
      }
      send(res, 202, 'shutting down\n');
      source.shutdown();
      return;
    default:
      send(res, 404, NOT_FOUND.full);
  }
}

/** One admin HTTP listener serving `surface`. */
export class AdminServer {
  private readonly server: Server;

  constructor(source: AdminSource, surface: AdminSurface = 'full') {
    this.server = createServer((req, res) => handle(source, surface, req, res));
    this.server.keepAliveTimeout = 5000;
    this.server.headersTimeout = 10_000;
    this.server.requestTimeout = 30_000;
    this.server.maxHeadersCount = 100;
    // Probes and scrapes are few; a flood of connections must not grow without bound.
    this.server.maxConnections = 256;
  }

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
}
