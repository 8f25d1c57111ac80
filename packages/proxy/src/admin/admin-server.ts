/** The admin listener (7191): /live, /ready, /metrics, and loopback-only /config and /shutdown. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

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

function isLoopback(address: string | undefined): boolean {
  return (
    address === '127.0.0.1' ||
    address === '::1' ||
    address === '::ffff:127.0.0.1' ||
    (address?.startsWith('127.') ?? false)
  );
}

function send(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function handle(source: AdminSource, req: IncomingMessage, res: ServerResponse): void {
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
    case '/config':
      if (!isLoopback(req.socket.remoteAddress)) {
        send(res, 403, '/config is only served to loopback clients\n');
        return;
      }
      send(res, 200, `${JSON.stringify(source.config(), null, 2)}\n`, 'application/json');
      return;
    case '/shutdown':
      if (!isLoopback(req.socket.remoteAddress)) {
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
      send(res, 404, 'not found: try /live, /ready, /metrics, /config, /shutdown\n');
  }
}

/** The admin HTTP server. */
export class AdminServer {
  private readonly server: Server;

  constructor(source: AdminSource) {
    this.server = createServer((req, res) => handle(source, req, res));
    this.server.keepAliveTimeout = 5000;
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
