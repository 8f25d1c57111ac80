/** Test support: real HTTP apps and an in-process gateway (no control plane) configured from a file. */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TracingController } from '@weft/runtime';
import { guard } from '../net/guard.js';
import { defaultProxyOptions } from '../options.js';
import { StaticCertificateSource } from '../tls/certificate-source.js';
import { type RunningGateway, runGateway } from './run-gateway.js';

export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
}

/** An HTTP app answering JSON `{app, method, url, headers}` and remembering what it saw. */
export interface EchoApp {
  readonly name: string;
  readonly port: number;
  readonly authority: string;
  readonly seen: SeenRequest[];
  close(): Promise<void>;
}

export async function startEchoApp(name: string): Promise<EchoApp> {
  const seen: SeenRequest[] = [];
  const server = guard(
    http.createServer((req, res) => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
      let bodyBytes = 0;
      req.on('data', (d: Buffer) => {
        bodyBytes += d.length;
      });
      req.on('end', () => {
        res.setHeader('content-type', 'application/json');
        res.setHeader('x-app', name);
        // As a meshed proxy would add for another: the gateway must not pass it to clients.
        res.setHeader('x-weft-denied-by', 'test/policy');
        res.end(
          JSON.stringify({ app: name, method: req.method, url: req.url, headers: req.headers, bodyBytes }),
        );
      });
    }),
  );
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    name,
    port,
    authority: `127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Listener ports the test gateways bind to free ports. */
export const TEST_LISTENER_PORTS = [80, 443, 8080, 8443] as const;

export interface TestGateway {
  readonly running: RunningGateway;
  /** The bound port of a listener port. */
  port(listenerPort: number): number;
  /** Writes a new config file and waits until the gateway applied it. */
  apply(config: unknown): Promise<void>;
  /** Writes a file without waiting (for configs expected to be rejected). */
  write(text: string): void;
  metrics(): Promise<string>;
  stop(): Promise<void>;
}

/** What a test may set of the gateway (the rest at the defaults). */
export interface TestGatewayOptions {
  trustedProxies?: string[];
  handshakeTimeoutMs?: number;
  headersTimeoutMs?: number;
  tracing?: TracingController;
  mirrorMaxInFlight?: number;
  mirrorTimeoutMs?: number;
}

export async function startTestGateway(
  config: unknown,
  options: TestGatewayOptions = {},
): Promise<TestGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'weft-gateway-'));
  const file = join(dir, 'gateway.json');
  const write = (text: string) => {
    // Atomic, as a ConfigMap update or an editor would do it.
    const tmp = join(dir, `.${randomUUID()}`);
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  };
  write(JSON.stringify(config));
  const base = defaultProxyOptions({
    namespace: 'test',
    service: '',
    listenHost: '127.0.0.1',
    inboundPort: 0,
    outboundPort: 0,
    adminPort: 0,
    defaultMtlsMode: 'strict',
  });
  const running = await runGateway({
    sidecar: {
      options: {
        ...base,
        hardening: {
          ...base.hardening,
          headersTimeoutMs: options.headersTimeoutMs ?? base.hardening.headersTimeoutMs,
        },
      },
      identity: { type: 'static', certificates: new StaticCertificateSource() },
      controlPlane: undefined,
      controlPlaneCa: undefined,
      ...(options.tracing === undefined ? {} : { tracing: options.tracing }),
    },
    gateway: {
      className: 'weft',
      listenHost: '127.0.0.1',
      portMap: new Map(TEST_LISTENER_PORTS.map((p) => [p, 0])),
      trustedProxies: options.trustedProxies ?? [],
      handshakeTimeoutMs: options.handshakeTimeoutMs ?? 10_000,
      mirrorMaxInFlight: options.mirrorMaxInFlight ?? 64,
      mirrorTimeoutMs: options.mirrorTimeoutMs ?? 10_000,
    },
    configFile: file,
  });
  const gw = running.gateway;
  return {
    running,
    port(listenerPort) {
      const p = gw.boundPorts()[listenerPort];
      if (p === undefined) throw new Error(`listener port ${listenerPort} is not bound`);
      return p;
    },
    async apply(next) {
      const before = gw.generation;
      write(JSON.stringify(next));
      const deadline = Date.now() + 10_000;
      while (gw.generation === before) {
        if (Date.now() > deadline) throw new Error('the gateway did not apply the new config within 10 s');
        await new Promise((r) => setTimeout(r, 20));
      }
      await gw.settled();
    },
    write,
    async metrics() {
      return await (await fetch(`http://127.0.0.1:${running.proxy.ports.admin}/metrics`)).text();
    },
    async stop() {
      await running.stop(0);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Echo apps by name and a gateway in front of them: the set-up the gateway test files share. */
export interface GatewayBed<Name extends string> {
  readonly apps: Readonly<Record<Name, EchoApp>>;
  readonly gw: TestGateway;
  /** Stops the gateway, then the apps. */
  stop(): Promise<void>;
}

/**
 * Starts an echo app for each of `appNames`, then a gateway configured with `config(apps)`.
 * When the gateway does not start, the apps are closed again before the error is thrown.
 */
export async function startGatewayBed<Name extends string>(
  appNames: readonly Name[],
  config: (apps: Readonly<Record<Name, EchoApp>>) => unknown,
  options: TestGatewayOptions = {},
): Promise<GatewayBed<Name>> {
  const apps = {} as Record<Name, EchoApp>;
  const closeApps = async () => {
    for (const app of Object.values<EchoApp>(apps)) await app.close();
  };
  try {
    for (const name of appNames) apps[name] = await startEchoApp(name);
    const gw = await startTestGateway(config(apps), options);
    return {
      apps,
      gw,
      async stop() {
        await gw.stop();
        await closeApps();
      },
    };
  } catch (err) {
    await closeApps();
    throw err;
  }
}

/** One HTTP/1.1 request; resolves with status, headers and body. */
export function request(
  port: number,
  options: {
    path?: string;
    method?: string;
    headers?: http.OutgoingHttpHeaders;
    agent?: http.Agent | false;
  } = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: options.path ?? '/',
        method: options.method ?? 'GET',
        headers: options.headers ?? {},
        agent: options.agent ?? false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** The status of one h2c (prior knowledge) request for `path` to `authority`, on a new connection. */
export async function h2cStatus(port: number, path: string, authority: string): Promise<number> {
  const session = guard(http2.connect(`http://127.0.0.1:${port}`));
  try {
    return await new Promise<number>((resolve, reject) => {
      const s = guard(session.request({ ':path': path, ':authority': authority }), reject);
      s.on('response', (h) => resolve(Number(h[':status'])));
      s.resume();
      s.end();
    });
  } finally {
    session.close();
  }
}

/** Sums the samples of `name` whose labels include every one of `labels`. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
      sum += Number(line.split(' ').pop());
  }
  return sum;
}
