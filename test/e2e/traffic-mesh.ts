/**
 * The mesh around a proxy under test: a scripted control plane (the real Discovery gRPC service
 * over TLS, answering with a given Destination) and `weft proxy` as a child process.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
import { createTestCa } from '@weft/proxy/testing';
import { send } from './traffic-harness.js';

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
