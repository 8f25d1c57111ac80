/**
 * Starting the dashboard server, shared by `weft dashboard` and `weft up --dashboard`: the default
 * address, the flag parsers, the exposure warning, and the start with a free-port fallback.
 */
import { WeftError } from '@weft/core';
import { adminUpstream, DashboardServer, isLoopbackHost, type Upstream } from '@weft/dashboard';
import { createLogger } from '@weft/runtime';
import { parseListen } from '../cli-kit/listen.js';

/** The dashboard's fixed default address. */
export const DASHBOARD_LISTEN = '127.0.0.1:7070';

/** What `--listen` must be, or the usage error. */
export function parseDashboardListen(value: string): { host: string; port: number } {
  const listen = parseListen(value);
  if (listen === undefined) throw new WeftError('INVALID_ARGUMENT', `--listen: "${value}" is not host:port`);
  return listen;
}

/** The warning printed for a listen address other people can reach, or undefined on loopback. */
export function exposureWarning(host: string): string | undefined {
  if (isLoopbackHost(host)) return undefined;
  return `warning: the dashboard listens on ${host}, not loopback: anyone who can reach it sees the mesh's services, identities and config (read-only, no keys or tokens)`;
}

/** An upstream whose admin address is known later (`weft up` starts the dashboard first). */
export function laterUpstream(baseUrl: () => string | undefined): Upstream {
  return {
    description: 'the local control plane',
    get(path) {
      const url = baseUrl();
      if (url === undefined)
        return Promise.reject(new WeftError('UNAVAILABLE', 'the mesh is still starting'));
      return adminUpstream(url).get(path);
    },
  };
}

/**
 * Starts a dashboard server on `listen`; when `fallback` and the port is taken, on a free port
 * instead (so `weft up` runs beside another dashboard). Resolves with the server.
 */
export async function startDashboard(options: {
  listen: { host: string; port: number };
  upstream: Upstream;
  mode: 'local' | 'kubernetes';
  jaegerUrl?: string | undefined;
  fallback?: boolean;
}): Promise<DashboardServer> {
  const make = (port: number) =>
    new DashboardServer({
      host: options.listen.host,
      port,
      upstream: options.upstream,
      mode: options.mode,
      jaegerUrl: options.jaegerUrl,
      logger: createLogger({ component: 'dashboard', level: process.env.WEFT_LOG_LEVEL ?? 'warn' }),
    });
  const server = make(options.listen.port);
  try {
    await server.listen();
    return server;
  } catch (err) {
    if (options.fallback !== true || (err as { code?: string }).code !== 'EADDRINUSE') throw err;
    const other = make(0);
    await other.listen();
    return other;
  }
}

/** Parses `--jaeger-url` (http or https). */
export function jaegerArg(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new WeftError('INVALID_ARGUMENT', `--jaeger-url: "${value}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new WeftError('INVALID_ARGUMENT', `--jaeger-url: "${value}" is not http(s)`);
  return url.toString();
}
