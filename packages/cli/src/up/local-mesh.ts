/**
 * Local mode building blocks: a state folder with a CA, the control plane as a child process,
 * join tokens, and proxies as child processes. `weft up` and the demo are built from these.
 */

import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sidecarNodeOptions } from '@weft/core';
import {
  createIdentityMaterial,
  createJoinToken,
  IDENTITY_FILES,
  loadTokenKey,
  writeIdentityDir,
} from '@weft/pki';
import type { Logger } from '@weft/runtime';
import type { Supervisor } from './supervisor.js';

/** The `weft` entry point, run with this process's Node for every child. */
export const WEFT_BIN = fileURLToPath(new URL('../../bin/weft.js', import.meta.url));

const YEAR_MS = 365 * 86_400_000;
/** How long a child may take to print its `listening` line. */
const START_TIMEOUT_MS = 20_000;

/** The identity folder under `stateDir`, created with a fresh CA the first time. */
export async function ensureIdentity(stateDir: string, trustDomain = 'cluster.local'): Promise<string> {
  const dir = join(stateDir, 'identity');
  if (!existsSync(join(dir, IDENTITY_FILES.issuerKey))) {
    const material = createIdentityMaterial({
      trustDomain,
      anchorValidityMs: 10 * YEAR_MS,
      issuerValidityMs: YEAR_MS,
      keyAlgorithm: 'ecdsa-p256',
    });
    await writeIdentityDir(dir, material, { force: true });
  }
  return dir;
}

/**
 * Writes a join token for `namespace/serviceAccount` that may register `service` (none: a
 * client-only proxy), mode 0600, and returns its path.
 */
export async function writeJoinToken(
  identityDir: string,
  tokensDir: string,
  namespace: string,
  serviceAccount: string,
  service = '',
): Promise<string> {
  const { key, trustDomain } = await loadTokenKey(identityDir);
  await mkdir(tokensDir, { recursive: true, mode: 0o700 });
  const path = join(tokensDir, `${namespace}.${serviceAccount}${service === '' ? '' : `.${service}`}.token`);
  const token = await createJoinToken({
    key,
    trustDomain,
    namespace,
    serviceAccount,
    services: service === '' ? [] : [service],
    ttlMs: 86_400_000,
    now: Date.now(),
  });
  await writeFile(path, `${token}\n`, { mode: 0o600 });
  return path;
}

/** Ports a child reported in its `{"event":"listening",…}` line. */
export type ListeningLine = Record<string, unknown> & { event: 'listening' };

/**
 * Starts `weft <args>` under the supervisor and resolves with its listening line. Rejects when
 * the child exits first or stays silent for too long.
 */
export function startWeftChild(
  supervisor: Supervisor,
  name: string,
  args: readonly string[],
  log: Logger,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ListeningLine> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      reject(new Error(`${name} did not start within ${START_TIMEOUT_MS / 1000}s`));
    }, START_TIMEOUT_MS);
    supervisor.start(
      {
        name,
        command: process.execPath,
        args: [WEFT_BIN, ...args],
        env,
        onLine: (line) => {
          if (settled || !line.startsWith('{')) return;
          try {
            const parsed = JSON.parse(line) as { event?: unknown };
            if (parsed.event === 'listening') {
              settled = true;
              clearTimeout(timer);
              resolve(parsed as ListeningLine);
            }
          } catch {
            log.debug({ child: name, line }, 'unparsed output');
          }
        },
      },
      (code, signal) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(new Error(`${name} exited before it was ready (code ${code}, signal ${signal})`));
      },
    );
  });
}

/** Reads a numeric port from a listening line, failing loudly when it is missing. */
export function portOf(line: ListeningLine, key: string, name: string): number {
  const v = line[key];
  if (typeof v !== 'number') throw new Error(`${name} did not report its ${key} port`);
  return v;
}

export interface ControlPlaneChild {
  grpcPort: number;
  adminPort: number;
}

/** Starts `weft control-plane` over `configDir` on loopback ephemeral ports. */
export async function startControlPlane(
  supervisor: Supervisor,
  options: { configDir: string; identityDir: string; otlp?: string },
  log: Logger,
): Promise<ControlPlaneChild> {
  const args = [
    'control-plane',
    '--config-dir',
    options.configDir,
    '--identity-dir',
    options.identityDir,
    '--listen',
    '127.0.0.1:0',
    '--admin-listen',
    '127.0.0.1:0',
  ];
  const line = await startWeftChild(supervisor, 'control-plane', args, log);
  return {
    grpcPort: portOf(line, 'grpc', 'control plane'),
    adminPort: portOf(line, 'admin', 'control plane'),
  };
}

export interface ProxySpec {
  namespace: string;
  service: string;
  serviceAccount: string;
  /** `servicePort=127.0.0.1:appPort` mappings. */
  inbound: readonly string[];
  /** Authorities to expose as local upstream listeners (ports chosen by the proxy). */
  upstreams: readonly string[];
  otlp?: string;
  /** Run the proxy's DNS on a free loopback port (its app resolves mesh names there). */
  dns?: boolean;
}

export interface ProxyChild {
  name: string;
  adminPort: number;
  /** Local listener port for each requested upstream authority. */
  upstreams: Record<string, number>;
  /** `127.0.0.1:PORT` of the proxy's DNS, when it runs one. */
  dns?: string;
}

/**
 * The flags that connect a `weft proxy` or `weft gateway` child to the local control plane with
 * a join token for `namespace/serviceAccount` (allowed to register `service`, if given).
 */
async function identityArgs(
  mesh: { controlPlane: ControlPlaneChild; identityDir: string; tokensDir: string },
  namespace: string,
  serviceAccount: string,
  service?: string,
): Promise<string[]> {
  const tokenFile = await writeJoinToken(
    mesh.identityDir,
    mesh.tokensDir,
    namespace,
    serviceAccount,
    service,
  );
  return [
    ...['--control-plane', `127.0.0.1:${mesh.controlPlane.grpcPort}`],
    ...['--ca-file', join(mesh.identityDir, IDENTITY_FILES.anchorCert)],
    ...['--token-file', tokenFile],
    ...['--namespace', namespace, '--service-account', serviceAccount],
  ];
}

/** Starts one `weft proxy` beside an app, with a join token for its service account. */
export async function startProxy(
  supervisor: Supervisor,
  spec: ProxySpec,
  mesh: { controlPlane: ControlPlaneChild; identityDir: string; tokensDir: string },
  log: Logger,
  name = `proxy/${spec.service}`,
): Promise<ProxyChild> {
  const args = [
    'proxy',
    ...(await identityArgs(mesh, spec.namespace, spec.serviceAccount, spec.service)),
    '--service',
    spec.service,
    '--workload',
    name.replace('/', '-'),
    '--inbound-port',
    '0',
    '--outbound-port',
    '0',
    '--admin-port',
    '0',
  ];
  for (const inbound of spec.inbound) args.push('--inbound', inbound);
  for (const authority of spec.upstreams) args.push('--upstream', `${authority}=127.0.0.1:0`);
  if (spec.otlp !== undefined) args.push('--otlp', spec.otlp);
  // Each proxy of the machine on its own port (15053 can be held by one only).
  args.push(...(spec.dns === true ? ['--dns-listen', '127.0.0.1:0'] : ['--no-dns']));
  // V8 flags chosen by measurement, as the injector sets them (docs/proxy-transport.md).
  const env = { ...process.env, NODE_OPTIONS: sidecarNodeOptions(process.env.NODE_OPTIONS) };
  const line = await startWeftChild(supervisor, name, args, log, env);
  const upstreams = (line.upstreams ?? {}) as Record<string, number>;
  for (const authority of spec.upstreams) {
    if (typeof upstreams[authority] !== 'number')
      throw new Error(`${name} did not report a port for ${authority}`);
  }
  const dns = spec.dns === true ? `127.0.0.1:${portOf(line, 'dns', name)}` : undefined;
  return { name, adminPort: portOf(line, 'admin', name), upstreams, ...(dns === undefined ? {} : { dns }) };
}

/** The identity the control plane lets receive the gateway config by default. */
export const GATEWAY_NAMESPACE = 'weft-system';
export const GATEWAY_SERVICE_ACCOUNT = 'weft-gateway';
/** How long the gateway may take to receive its config and bind its listener. */
const GATEWAY_CONFIG_TIMEOUT_MS = 20_000;

export interface GatewaySpec {
  /** The Gateway listener port to serve (the port the Gateway's listener names). */
  listenerPort: number;
  /** Where to bind it on 127.0.0.1 (0: any free port). */
  bindPort: number;
  /**
   * True: reject when no configuration names the listener port in time. False (a folder the user
   * wrote, which may hold no Gateway): resolve without a port, and the gateway keeps running.
   */
  required: boolean;
  /** How long the configuration may take to name the listener (default 20 s). */
  configTimeoutMs?: number;
  otlp?: string;
}

export interface GatewayChild {
  name: string;
  adminPort: number;
  /** The local port clients use (the listener's bound port); undefined: not served (yet). */
  port: number | undefined;
  /** Why there is no port, when there is none. */
  problem?: string;
}

/**
 * Starts `weft gateway` with a join token for weft-system/weft-gateway (the identity the
 * control plane pushes gateway config to). The listener binds only once the control plane's
 * config names it: this resolves when the gateway's /config reports the bound port.
 */
export async function startGateway(
  supervisor: Supervisor,
  spec: GatewaySpec,
  mesh: { controlPlane: ControlPlaneChild; identityDir: string; tokensDir: string },
  log: Logger,
  name = 'gateway',
): Promise<GatewayChild> {
  const args = [
    'gateway',
    ...(await identityArgs(mesh, GATEWAY_NAMESPACE, GATEWAY_SERVICE_ACCOUNT)),
    '--workload',
    name,
    '--listen-host',
    '127.0.0.1',
    '--port-map',
    `${spec.listenerPort}=${spec.bindPort}`,
    '--admin-port',
    '0',
  ];
  if (spec.otlp !== undefined) args.push('--otlp', spec.otlp);
  const env = { ...process.env, NODE_OPTIONS: sidecarNodeOptions(process.env.NODE_OPTIONS) };
  const line = await startWeftChild(supervisor, name, args, log, env);
  const adminPort = portOf(line, 'admin', name);
  try {
    const timeout = spec.configTimeoutMs ?? GATEWAY_CONFIG_TIMEOUT_MS;
    const port = await boundGatewayPort(adminPort, spec.listenerPort, timeout);
    return { name, adminPort, port };
  } catch (err) {
    if (spec.required) throw err;
    return { name, adminPort, port: undefined, problem: (err as Error).message };
  }
}

/** Polls the gateway's /config until the listener port is bound; rejects after `timeoutMs`. */
async function boundGatewayPort(adminPort: number, listenerPort: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`http://127.0.0.1:${adminPort}/config`, { signal: AbortSignal.timeout(2000) });
      const body = (await res.json()) as {
        gateway?: {
          boundPorts?: Record<string, number>;
          bindErrors?: Record<string, string>;
          lastRejected?: string;
        };
      };
      const bound = body.gateway?.boundPorts?.[String(listenerPort)];
      if (typeof bound === 'number') return bound;
      const bindError = body.gateway?.bindErrors?.[String(listenerPort)];
      if (bindError !== undefined)
        throw new Error(`the gateway cannot bind listener port ${listenerPort}: ${bindError}`);
      last = body.gateway?.lastRejected
        ? `config rejected: ${body.gateway.lastRejected}`
        : 'no listener on that port yet';
    } catch (err) {
      if (err instanceof Error && err.message.startsWith('the gateway cannot bind')) throw err;
      last = err instanceof Error ? err.message : String(err);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(
    `the gateway did not serve listener port ${listenerPort} within ${timeoutMs / 1000}s (${last})`,
  );
}
