/**
 * `weft dashboard`: the web view of the mesh on 127.0.0.1:7070. Locally it reads the control
 * plane `weft up` recorded in `.weft/`; in Kubernetes it goes through the API server's service
 * proxy with the user's kubeconfig. Read-only; a non-loopback `--listen` prints a warning.
 */

import { resolve } from 'node:path';
import { describeError, WeftError } from '@weft/core';
import {
  adminUpstream,
  DashboardServer,
  isLoopbackHost,
  kubernetesUpstream,
  type Upstream,
} from '@weft/dashboard';
import { createLogger } from '@weft/runtime';
import { type Command, Option } from 'commander';
import { parseAdminAddress } from '../cli-kit/http.js';
import type { CliIo } from '../program.js';
import { untilSignal } from '../signals.js';
import { readLocalState } from '../up/local-state.js';
import { parseListen } from './injector.js';

/** The dashboard's fixed default address. */
export const DASHBOARD_LISTEN = '127.0.0.1:7070';

interface DashboardFlags {
  listen: string;
  controlPlaneAdmin?: string;
  stateDir: string;
  kubernetes?: boolean;
  kubeconfig?: string;
  context?: string;
  meshNamespace: string;
  jaegerUrl?: string;
}

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

export function registerDashboard(program: Command, io: CliIo): void {
  const command = program
    .command('dashboard')
    .description('serve a read-only web view of the mesh (service graph, services, proxies, control plane)')
    .option(
      '--listen <host:port>',
      'where to serve it (anything but loopback prints a warning)',
      DASHBOARD_LISTEN,
    )
    .addOption(
      new Option(
        '--control-plane-admin <address>',
        "the control plane's admin address (local mode; default: the one weft up recorded)",
      )
        .env('WEFT_CONTROL_PLANE_ADMIN')
        .argParser((v) => parseAdminAddress(v, 7990)),
    )
    .option('--state-dir <dir>', 'local mode: where weft up recorded the mesh (local.json)', '.weft')
    .option('--kubernetes', 'reach the control plane through the Kubernetes API server (kubeconfig)')
    .option('--kubeconfig <file>', 'kubeconfig file (default: KUBECONFIG or ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context')
    .option('--mesh-namespace <ns>', "the mesh's own namespace, where the control plane runs", 'weft-system')
    .addOption(
      new Option(
        '--jaeger-url <url>',
        "Jaeger's UI: links to trace searches when the mesh exports traces",
      ).argParser(jaegerArg),
    );
  command.action(async (flags: DashboardFlags) => {
    try {
      const listen = parseDashboardListen(flags.listen);
      const k8s = flags.kubernetes === true || flags.kubeconfig !== undefined || flags.context !== undefined;
      let upstream: Upstream;
      if (k8s) {
        upstream = kubernetesUpstream({
          kubeconfig: flags.kubeconfig,
          context: flags.context,
          meshNamespace: flags.meshNamespace,
        });
      } else {
        let admin = flags.controlPlaneAdmin;
        if (admin === undefined) {
          const found = await readLocalState(resolve(flags.stateDir));
          if (found.type !== 'running')
            throw new WeftError(
              'UNAVAILABLE',
              `no local mesh recorded (${found.reason}): start one with "weft up" in this folder, give --state-dir or --control-plane-admin, or --kubernetes for a cluster`,
            );
          admin = found.state.controlPlane.admin;
        }
        upstream = adminUpstream(admin);
      }
      const warning = exposureWarning(listen.host);
      if (warning !== undefined) io.stderr(`weft dashboard: ${warning}\n`);
      const server = await startDashboard({
        listen,
        upstream,
        mode: k8s ? 'kubernetes' : 'local',
        jaegerUrl: flags.jaegerUrl,
      });
      io.stdout(`weft dashboard: ${server.url()} (reading ${upstream.description})\n`);
      await untilSignal();
      await server.close();
    } catch (err) {
      io.stderr(`weft dashboard: ${describeError(err)}\n`);
      process.exitCode = 1;
    }
  });
}
