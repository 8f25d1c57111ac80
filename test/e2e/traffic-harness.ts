/** Shared pieces of the traffic e2e tests: backend processes, a fixed-concurrency load generator. */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import {
  type DiscoveryRequest__Output,
  type DiscoveryResponse,
  loadDiscoveryProto,
  type Resource,
} from '@weft/api';
import { CONTROL_PLANE_SERVER_NAME } from '@weft/pki';
import { createTestCa } from '../../packages/proxy/testing/certs.js';

const BACKEND = fileURLToPath(new URL('./fixtures/traffic-backend.mjs', import.meta.url));

export interface BackendConfig {
  name: string;
  delayMs?: number;
  failRate?: number;
  /** Status of a failed answer; default 503. */
  failStatus?: number;
  seed?: number;
}

export interface BackendStats {
  name: string;
  requests: number;
  byMethod: Record<string, number>;
  byAttempt: Record<string, number>;
  failures: number;
  bodyBytes: number;
}

/** A backend process on 127.0.0.1; `kill` sends a signal to exactly this child. */
export interface Backend {
  readonly name: string;
  readonly port: number;
  readonly child: ChildProcess;
  stats(): Promise<BackendStats>;
  configure(patch: Partial<BackendConfig>): Promise<void>;
  stop(): Promise<void>;
}

/** Starts a backend process and waits until it prints its port. */
export async function startBackend(config: BackendConfig): Promise<Backend> {
  const child = spawn(process.execPath, [BACKEND, JSON.stringify(config)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) =>
      reject(new Error(`backend ${config.name} exited (${code}) before listening`)),
    );
    lines.once('line', (line) => resolve((JSON.parse(line) as { port: number }).port));
  });
  const call = async (method: string, path: string, body?: string) => {
    const r = await send({ port, method, path, ...(body === undefined ? {} : { body }) });
    return r.body;
  };
  return {
    name: config.name,
    port,
    child,
    stats: async () => JSON.parse(await call('GET', '/__stats')) as BackendStats,
    configure: async (patch) => {
      await call('POST', '/__config', JSON.stringify(patch));
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export interface Response {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

/** One HTTP/1.1 request on a keep-alive agent; resolves with status 0 on a transport error. */
export function send(o: {
  port: number;
  method?: string;
  path?: string;
  body?: string | Buffer;
  headers?: Record<string, string>;
}): Promise<Response> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: o.port,
        method: o.method ?? 'GET',
        path: o.path ?? '/',
        agent,
        headers: o.headers ?? {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            headers: res.headers,
          }),
        );
        res.on('error', (err) => resolve({ status: 0, body: String(err), headers: {} }));
      },
    );
    req.on('error', (err) => resolve({ status: 0, body: String(err), headers: {} }));
    req.end(o.body);
  });
}

export interface LoadResult {
  total: number;
  byStatus: Record<number, number>;
  /** 200 responses by body (the backend's name). */
  byBackend: Record<string, number>;
}

/**
 * Sends exactly `total` requests with `concurrency` in flight, counting results. `onProgress`
 * runs after each completed request (e.g. to change weights or kill a backend mid-run).
 */
export async function load(o: {
  port: number;
  total: number;
  concurrency: number;
  method?: string;
  path?: string;
  onProgress?: (done: number) => void | Promise<void>;
}): Promise<LoadResult> {
  const result: LoadResult = { total: o.total, byStatus: {}, byBackend: {} };
  let started = 0;
  let done = 0;
  const worker = async () => {
    while (started < o.total) {
      started++;
      const r = await send({ port: o.port, method: o.method ?? 'GET', path: o.path ?? '/' });
      result.byStatus[r.status] = (result.byStatus[r.status] ?? 0) + 1;
      if (r.status === 200) result.byBackend[r.body] = (result.byBackend[r.body] ?? 0) + 1;
      done++;
      await o.onProgress?.(done);
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  return result;
}

/** Destroys the shared keep-alive agent's sockets (call in afterAll). */
export function closeAgent(): void {
  agent.destroy();
}

// ---- a scripted control plane: the real Discovery gRPC service, answering with a given Destination ----

export type DestinationInput = NonNullable<Resource['destination']>;

/**
 * A Discovery server on 127.0.0.1 (TLS, like the real one) that answers every subscription
 * with the current destination. It stands in for the control plane, which is another issue's.
 */
export interface FakeControlPlane {
  readonly port: number;
  /** Flags giving a proxy a workload certificate and the CA that signed this server's. */
  readonly proxyArgs: readonly string[];
  /** Pushes a new destination to every stream; resolves when a proxy ACKs it. */
  update(destination: DestinationInput): Promise<void>;
  stop(): void;
}

export async function startControlPlane(initial: DestinationInput): Promise<FakeControlPlane> {
  const ca = createTestCa();
  const dir = mkdtempSync(join(tmpdir(), 'weft-e2e-traffic-'));
  // Dialed by IP, a proxy checks the control plane under its service name.
  const serving = ca.issue('spiffe://cluster.local/ns/weft/sa/weft-control-plane', [
    `DNS:${CONTROL_PLANE_SERVER_NAME}`,
    'IP:127.0.0.1',
  ]);
  const workload = ca.issue('spiffe://cluster.local/ns/shop/sa/client');
  writeFileSync(join(dir, 'ca.pem'), ca.certPem);
  writeFileSync(join(dir, 'client.pem'), workload.certChain);
  writeFileSync(join(dir, 'client.key'), workload.key);
  const proxyArgs = [
    '--ca-file',
    join(dir, 'ca.pem'),
    '--cert-file',
    join(dir, 'client.pem'),
    '--key-file',
    join(dir, 'client.key'),
  ];
  let current = initial;
  let version = 0;
  const streams = new Set<grpc.ServerDuplexStream<DiscoveryRequest__Output, DiscoveryResponse>>();
  const subscribed = new Map<
    grpc.ServerDuplexStream<DiscoveryRequest__Output, DiscoveryResponse>,
    Set<string>
  >();
  const ackWaiters = new Map<string, { resolve: () => void; reject: (e: Error) => void }>();
  const respond = (
    call: grpc.ServerDuplexStream<DiscoveryRequest__Output, DiscoveryResponse>,
    names: Iterable<string>,
  ) => {
    version++;
    const nonce = `n${version}`;
    call.write({
      versionInfo: String(version),
      nonce,
      resources: [...names].map((name) => ({
        name,
        version: String(version),
        destination: { ...current, authority: name },
      })),
      removedNames: [],
    });
    return nonce;
  };
  const server = new grpc.Server();
  server.addService(loadDiscoveryProto().weft.discovery.v1alpha1.Discovery.service, {
    Stream: (call: grpc.ServerDuplexStream<DiscoveryRequest__Output, DiscoveryResponse>) => {
      streams.add(call);
      subscribed.set(call, new Set());
      call.on('data', (req: DiscoveryRequest__Output) => {
        if (req.kind === 'subscribe' && req.subscribe != null) {
          for (const n of req.subscribe.names) subscribed.get(call)?.add(n);
          respond(call, req.subscribe.names);
        } else if (req.kind === 'ack' && req.ack != null) {
          ackWaiters.get(req.ack.nonce)?.resolve();
        } else if (req.kind === 'nack' && req.nack != null) {
          ackWaiters.get(req.nack.nonce)?.reject(new Error(`proxy NACKed: ${req.nack.errorDetail}`));
        }
      });
      call.on('error', () => {});
      call.on('close', () => streams.delete(call));
    },
  });
  const credentials = grpc.ServerCredentials.createSsl(
    Buffer.from(ca.certPem),
    [{ private_key: Buffer.from(serving.key), cert_chain: Buffer.from(serving.certChain) }],
    false,
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', credentials, (e, p) => (e ? reject(e) : resolve(p))),
  );
  return {
    port,
    proxyArgs,
    update(destination) {
      current = destination;
      const acks: Promise<void>[] = [];
      for (const call of streams) {
        const nonce = respond(call, subscribed.get(call) ?? []);
        acks.push(new Promise<void>((resolve, reject) => ackWaiters.set(nonce, { resolve, reject })));
      }
      return Promise.all(acks).then(() => undefined);
    },
    stop: () => {
      server.forceShutdown();
      ca.cleanup();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `{service}.shop:80` backend with endpoints on 127.0.0.1. */
export function backendOf(service: string, endpoints: { port: number; weight?: number }[]) {
  return {
    name: `${service}.shop:80`,
    service,
    namespace: 'shop',
    port: 80,
    endpoints: endpoints.map((e) => ({ address: '127.0.0.1', port: e.port, weight: e.weight ?? 1 })),
  };
}

/** A destination for `api.shop:80` with the given backends, routes and policy. */
export function destinationOf(o: {
  backends: ReturnType<typeof backendOf>[];
  routes?: DestinationInput['routes'];
  policy?: DestinationInput['policy'];
}): DestinationInput {
  return {
    authority: AUTHORITY,
    service: 'api',
    namespace: 'shop',
    port: 80,
    protocol: 'PROTOCOL_HTTP',
    routes: o.routes ?? [],
    backends: o.backends,
    ...(o.policy === undefined ? {} : { policy: o.policy }),
  };
}

/** A catch-all route splitting by weight over `{service, weight}` backends. */
export function splitRoute(weights: { service: string; weight: number }[]): DestinationInput['routes'] {
  return [
    {
      name: 'split',
      matches: [],
      backends: weights.map((w) => ({ backend: `${w.service}.shop:80`, weight: w.weight })),
    },
  ];
}

export const AUTHORITY = 'api.shop.svc.cluster.local:80';

// ---- the proxy under test: `weft proxy` as a child process ----

const WEFT = fileURLToPath(new URL('../../packages/cli/bin/weft.js', import.meta.url));

export interface ProxyProcess {
  readonly upstreamPort: number;
  readonly adminPort: number;
  readonly child: ChildProcess;
  /** The value of a counter at /metrics, summed over series whose labels include `labels`. */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  stop(): Promise<void>;
}

/** Starts `weft proxy` with an upstream listener for AUTHORITY, discovering from `cp`. */
export async function startProxy(cp: FakeControlPlane): Promise<ProxyProcess> {
  const child = spawn(
    process.execPath,
    [
      WEFT,
      'proxy',
      '--control-plane',
      `127.0.0.1:${cp.port}`,
      ...cp.proxyArgs,
      '--namespace',
      'shop',
      '--service',
      'client',
      '--upstream',
      `${AUTHORITY}=127.0.0.1:0`,
      '--inbound-port',
      '0',
      '--outbound-port',
      '0',
      '--admin-port',
      '0',
      '--listen-host',
      '127.0.0.1',
      '--admin-host',
      '127.0.0.1',
    ],
    { stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, WEFT_LOG_LEVEL: 'warn' } },
  );
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const ports = await new Promise<{ admin: number; upstreams: Record<string, number> }>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`weft proxy exited (${code}) before listening`)));
    lines.on('line', (line) => {
      const msg = JSON.parse(line) as { event?: string; admin: number; upstreams: Record<string, number> };
      if (msg.event === 'listening') resolve(msg);
    });
  });
  const adminPort = ports.admin;
  return {
    upstreamPort: ports.upstreams[AUTHORITY] as number,
    adminPort,
    child,
    async metric(name, labels = {}) {
      const text = (await send({ port: adminPort, path: '/metrics' })).body;
      let sum = 0;
      for (const line of text.split('\n')) {
        if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
        if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
        sum += Number(line.slice(line.lastIndexOf(' ') + 1));
      }
      return sum;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** A TCP port on 127.0.0.1 that refuses connections (bound, then closed). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}
