/**
 * `weft up --demo`: a control plane over the demo manifests, five small apps each behind its
 * own weft proxy (mTLS between them), a steady load, and a live view of golden metrics and the
 * measured split.
 */

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { systemClock, systemRandom } from '@weft/core';
import type { Logger } from '@weft/runtime';
import { type DemoApp, startDemoApp } from './demo-apps.js';
import { DEMO_GATEWAY_LISTENER_PORT, DEMO_NAMESPACE, demoManifests } from './demo-manifests.js';
import { startViewLoop } from './demo-view-loop.js';
import { LoadGenerator } from './load.js';
import {
  type ControlPlaneChild,
  type GatewayChild,
  type ProxyChild,
  startControlPlane,
  startGateway,
  startProxy,
} from './local-mesh.js';
import { type LocalMeshState, writeLocalState } from './local-state.js';
import { SlidingWindow } from './sliding-window.js';
import { type ChildProblemSink, Supervisor } from './supervisor.js';

export interface DemoOptions {
  stateDir: string;
  identityDir: string;
  /** Serve this folder instead of writing the demo manifests. */
  configDir?: string;
  otlp?: string;
  /** Requests per second the load generator sends to web. */
  rate: number;
  /** The local port of the ingress gateway's listener (0: any free port; it is printed). */
  gatewayPort: number;
  /**
   * `tty`: the view redrawn in place each second; `plain`: the view as a text block every 5 s
   * (no terminal codes: output piped or logged); `json`: one JSON object per second.
   */
  mode: 'tty' | 'plain' | 'json';
  write: (text: string) => void;
  /** Progress while starting (about 8 s): one line per step. */
  progress: (text: string) => void;
  /** What a child reports that a person must see (rejected resources, crashes). */
  onProblem: ChildProblemSink;
  /** More lines for the live view (the dashboard's URL). */
  notes?: readonly string[];
  log: Logger;
}

/** A running demo; `stop()` ends every child and server within the grace period. */
export interface RunningDemo {
  /** Every proxy of the demo, with its admin port (for /metrics). */
  readonly proxies: readonly ProxyChild[];
  readonly controlPlane: ControlPlaneChild;
  /** The ingress gateway in front of web: `curl http://127.0.0.1:<port>/` (no port: not serving). */
  readonly gateway: GatewayChild;
  stop(): Promise<void>;
}

const STOP_GRACE_MS = 3000;
/** Every number in the view is over this window. */
export const VIEW_WINDOW_MS = 10_000;
/** Samples kept per app for its latency percentiles (1000 requests/s for 10 s). */
const MAX_LATENCIES = 10_000;
const authority = (service: string) => `${service}.${DEMO_NAMESPACE}:80`;
/** The Service's DNS name, which each app's proxy resolves to a loopback address it routes. */
const serviceName = (service: string) => `${service}.${DEMO_NAMESPACE}.svc.cluster.local`;

/**
 * Starts the demo, writes `.weft/local.json` and the JSON `ready` line, then the refresh loop.
 * Rejects (after cleaning up) if any part fails to start.
 */
export async function startDemo(options: DemoOptions): Promise<RunningDemo> {
  const { log, progress } = options;
  const supervisor = new Supervisor(log, options.onProblem);
  const apps: DemoApp[] = [];
  let load: LoadGenerator | undefined;
  let stopView: (() => void) | undefined;
  const stop = async () => {
    stopView?.();
    load?.stop();
    await Promise.all([supervisor.stopAll(STOP_GRACE_MS), ...apps.map((a) => a.close())]);
  };
  try {
    const configDir = options.configDir ?? join(options.stateDir, 'demo-config');
    if (options.configDir === undefined) {
      await mkdir(configDir, { recursive: true });
      await writeFile(join(configDir, 'demo.yaml'), demoManifests());
    }
    progress(`starting the control plane over ${configDir}`);
    const controlPlane = await startControlPlane(
      supervisor,
      { configDir, identityDir: options.identityDir, ...(options.otlp ? { otlp: options.otlp } : {}) },
      log,
    );
    progress(
      `control plane ready: gRPC 127.0.0.1:${controlPlane.grpcPort}, admin 127.0.0.1:${controlPlane.adminPort}`,
    );
    const mesh = {
      controlPlane,
      identityDir: options.identityDir,
      tokensDir: join(options.stateDir, 'tokens'),
    };
    const proxies: ProxyChild[] = [];
    const proxy = async (
      service: string,
      serviceAccount: string,
      appPort: number | undefined,
      upstream?: string,
    ) => {
      const p = await startProxy(
        supervisor,
        {
          namespace: DEMO_NAMESPACE,
          service,
          serviceAccount,
          inbound: appPort === undefined ? [] : [`80=127.0.0.1:${appPort}`],
          // The load generator reaches web through an upstream port; the apps call services by
          // name through their proxy's DNS (docs/dns.md, "Local mode").
          upstreams: upstream === undefined || service !== 'loadgen' ? [] : [authority(upstream)],
          dns: service !== 'loadgen',
          ...(options.otlp ? { otlp: options.otlp } : {}),
        },
        mesh,
        log,
        `proxy/${serviceAccount}`,
      );
      proxies.push(p);
      progress(`proxy ${serviceAccount} ready (service ${service}) — ${proxies.length}/6`);
      return p;
    };

    // Each app calls the next service by name (`api.demo.svc.cluster.local`) through the DNS of
    // its own proxy, whose port is known only once the proxy runs: start the app, then its proxy,
    // then point the app.
    const random = systemRandom;
    const latencies = new Map<string, SlidingWindow<number>>();
    const app = async (name: string, failureRate = 0) => {
      const window = new SlidingWindow<number>(VIEW_WINDOW_MS, MAX_LATENCIES, () => performance.now());
      latencies.set(name, window);
      const a = await startDemoApp({ name, random, failureRate, onServed: (ms) => window.add(ms) });
      apps.push(a);
      return a;
    };
    const store1 = await app('store-1');
    // store-2 fails 30% of requests: the proxies' retries hide it from the client.
    const store2 = await app('store-2', 0.3);
    await proxy('store', 'store-1', store1.port);
    await proxy('store', 'store-2', store2.port);
    const chain: Array<[string, string]> = [
      ['api-v1', 'store'],
      ['api-v2', 'store'],
      ['web', 'api'],
    ];
    for (const [service, next] of chain) {
      const a = await app(service);
      const p: ProxyChild = await proxy(service, service, a.port, next);
      a.setUpstream({ host: serviceName(next), port: 80, path: '/', dns: p.dns as string });
    }
    const loadgen = await proxy('loadgen', 'loadgen', undefined, 'web');
    load = new LoadGenerator({
      host: '127.0.0.1',
      port: loadgen.upstreams[authority('web')] as number,
      path: '/',
      ratePerSecond: options.rate,
      maxInFlight: 64,
      clock: systemClock,
      windowMs: VIEW_WINDOW_MS,
    });
    load.start();

    // The ingress gateway, as production traffic enters: from outside the mesh, through the
    // Gateway and HTTPRoute in the demo folder, over mTLS with its own identity into web.
    const gateway = await startGateway(
      supervisor,
      {
        listenerPort: DEMO_GATEWAY_LISTENER_PORT,
        bindPort: options.gatewayPort,
        // A folder of the user's own may hold no Gateway on that port: the demo runs without.
        required: options.configDir === undefined,
        ...(options.otlp ? { otlp: options.otlp } : {}),
      },
      mesh,
      log,
    );
    const gatewayUrl = gateway.port === undefined ? undefined : `http://127.0.0.1:${gateway.port}/`;
    progress(
      gatewayUrl === undefined
        ? `gateway: not serving (${gateway.problem}); add a Gateway with a listener on port ${DEMO_GATEWAY_LISTENER_PORT} to ${configDir}`
        : `gateway ready (Gateway demo/demo -> HTTPRoute demo/web): curl ${gatewayUrl}`,
    );

    const state: LocalMeshState = {
      pid: process.pid,
      startedAt: new Date().toISOString(),
      configDir,
      identityDir: options.identityDir,
      controlPlane: {
        grpc: `127.0.0.1:${controlPlane.grpcPort}`,
        admin: `http://127.0.0.1:${controlPlane.adminPort}`,
      },
      proxies: [...proxies, gateway].map((p) => ({ name: p.name, admin: `http://127.0.0.1:${p.adminPort}` })),
    };
    const statePath = await writeLocalState(options.stateDir, state);
    progress(`addresses written to ${statePath} (weft stat and weft check read them)`);
    options.write(
      `${JSON.stringify({
        event: 'ready',
        stateDir: options.stateDir,
        controlPlane,
        proxies: proxies.map((p) => ({ name: p.name, adminPort: p.adminPort })),
        gateway:
          gatewayUrl === undefined
            ? { adminPort: gateway.adminPort }
            : { url: gatewayUrl, port: gateway.port, adminPort: gateway.adminPort },
      })}\n`,
    );
    stopView = startViewLoop({
      adminUrl: state.controlPlane.admin,
      namespace: DEMO_NAMESPACE,
      load,
      latencies,
      windowMs: VIEW_WINDOW_MS,
      mode: options.mode,
      ...(options.otlp ? { otlp: options.otlp } : {}),
      notes: [
        `mTLS between every proxy; identities spiffe://cluster.local/ns/${DEMO_NAMESPACE}/sa/<replica>`,
        gatewayUrl === undefined
          ? `gateway: no listener on port ${DEMO_GATEWAY_LISTENER_PORT} in ${configDir}`
          : `gateway: curl ${gatewayUrl} (into web as spiffe://cluster.local/ns/weft-system/sa/weft-gateway)`,
        options.otlp
          ? `traces: ${options.otlp}`
          : 'traces: off (pass --otlp http://127.0.0.1:4318 for Jaeger)',
        ...(options.notes ?? []),
      ],
      pids: () => supervisor.pids,
      write: options.write,
      log,
    });
    return { proxies, controlPlane, gateway, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
