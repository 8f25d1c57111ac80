/**
 * `weft up --demo`: a control plane over the demo manifests, five small apps each behind its
 * own weft proxy (mTLS between them), a steady load, and a live view of golden metrics and the
 * measured split.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describeError, type Logger, systemClock, systemRandom } from '@weft/core';
import { goldenMetrics, type ProxyScrape, type ServiceStats } from '../stat/golden.js';
import { controlPlaneAdminSource } from '../stat/sources.js';
import { type DemoApp, startDemoApp } from './demo-apps.js';
import { DEMO_NAMESPACE, demoManifests } from './demo-manifests.js';
import { LoadGenerator } from './load.js';
import { type ControlPlaneChild, type ProxyChild, startControlPlane, startProxy } from './local-mesh.js';
import { Supervisor } from './supervisor.js';
import { renderView, type ServiceRow } from './view.js';

export interface DemoOptions {
  stateDir: string;
  identityDir: string;
  /** Serve this folder instead of writing the demo manifests. */
  configDir?: string;
  otlp?: string;
  /** Requests per second the load generator sends to web. */
  rate: number;
  /** Print one JSON object per refresh instead of the terminal view. */
  json: boolean;
  write: (text: string) => void;
  log: Logger;
}

/** A running demo; `stop()` ends every child and server within the grace period. */
export interface RunningDemo {
  /** Every proxy of the demo, with its admin port (for /metrics). */
  readonly proxies: readonly ProxyChild[];
  readonly controlPlane: ControlPlaneChild;
  stop(): Promise<void>;
}

const STOP_GRACE_MS = 3000;
const authority = (service: string) => `${service}.${DEMO_NAMESPACE}:80`;

/** Starts the demo and its refresh loop. Rejects (after cleaning up) if any part fails to start. */
export async function startDemo(options: DemoOptions): Promise<RunningDemo> {
  const { log } = options;
  const supervisor = new Supervisor(log);
  const apps: DemoApp[] = [];
  let load: LoadGenerator | undefined;
  let refresh: NodeJS.Timeout | undefined;
  const stop = async () => {
    if (refresh !== undefined) clearInterval(refresh);
    load?.stop();
    await Promise.all([supervisor.stopAll(STOP_GRACE_MS), ...apps.map((a) => a.close())]);
  };
  try {
    const configDir = options.configDir ?? join(options.stateDir, 'demo-config');
    if (options.configDir === undefined) {
      await mkdir(configDir, { recursive: true });
      await writeFile(join(configDir, 'demo.yaml'), demoManifests());
    }
    const controlPlane = await startControlPlane(
      supervisor,
      { configDir, identityDir: options.identityDir, ...(options.otlp ? { otlp: options.otlp } : {}) },
      log,
    );
    const mesh = {
      controlPlane,
      identityDir: options.identityDir,
      tokensDir: join(options.stateDir, 'tokens'),
    };
    const proxies: ProxyChild[] = [];
    const proxy = (service: string, serviceAccount: string, appPort: number | undefined, upstream?: string) =>
      startProxy(
        supervisor,
        {
          namespace: DEMO_NAMESPACE,
          service,
          serviceAccount,
          inbound: appPort === undefined ? [] : [`80=127.0.0.1:${appPort}`],
          upstreams: upstream === undefined ? [] : [authority(upstream)],
          ...(options.otlp ? { otlp: options.otlp } : {}),
        },
        mesh,
        log,
        `proxy/${serviceAccount}`,
      ).then((p) => {
        proxies.push(p);
        return p;
      });

    // Each app calls the next service through the upstream listener of its own proxy, whose
    // port is known only once the proxy runs: start the app, then its proxy, then point the app.
    const random = systemRandom;
    const store1 = await startDemoApp({ name: 'store-1', random });
    const store2 = await startDemoApp({ name: 'store-2 (flaky)', random, failureRate: 0.3 });
    apps.push(store1, store2);
    await proxy('store', 'store-1', store1.port);
    await proxy('store', 'store-2', store2.port);
    const chain: Array<[string, string]> = [
      ['api-v1', 'store'],
      ['api-v2', 'store'],
      ['web', 'api'],
    ];
    for (const [service, next] of chain) {
      const app = await startDemoApp({ name: service, random });
      apps.push(app);
      const p: ProxyChild = await proxy(service, service, app.port, next);
      app.setUpstream({ host: '127.0.0.1', port: p.upstreams[authority(next)] as number, path: '/' });
    }
    const loadgen = await proxy('loadgen', 'loadgen', undefined, 'web');
    load = new LoadGenerator({
      host: '127.0.0.1',
      port: loadgen.upstreams[authority('web')] as number,
      path: '/',
      ratePerSecond: options.rate,
      maxInFlight: 64,
      clock: systemClock,
    });
    load.start();

    const source = controlPlaneAdminSource(`http://127.0.0.1:${controlPlane.adminPort}`);
    const started = Date.now();
    const split = new Map<string, number>();
    let previous: ProxyScrape[] | undefined;
    let busy = false;
    refresh = setInterval(() => {
      if (busy) return;
      busy = true;
      const window = load?.take();
      for (const [version, n] of window?.byVersion ?? []) split.set(version, (split.get(version) ?? 0) + n);
      void source
        .gather()
        .then(
          (scrapes) => {
            const stats = goldenMetrics(scrapes, previous);
            previous = scrapes;
            return { stats, error: undefined };
          },
          (err: unknown) => ({ stats: [] as ServiceStats[], error: describeError(err) }),
        )
        .then(({ stats, error }) => {
          const rows: ServiceRow[] = stats
            // loadgen only sends: it has no inbound traffic to show.
            .filter((s) => s.namespace === DEMO_NAMESPACE && s.service !== 'loadgen')
            .map((s) => ({
              service: s.service,
              requestsPerSecond: s.requestsPerSecond,
              successRate: s.successRate,
              p50Ms: s.p50Ms,
              p99Ms: s.p99Ms,
            }));
          const notes = [
            `loadgen: ${window?.ok ?? 0} ok, ${window?.failed ?? 0} failed in the last second (client view)`,
            `mTLS between every proxy; identities spiffe://cluster.local/ns/${DEMO_NAMESPACE}/sa/<workload>`,
            options.otlp
              ? `traces: ${options.otlp}`
              : 'traces: off (pass --otlp http://127.0.0.1:4318 for Jaeger)',
          ];
          if (error !== undefined) notes.push(`metrics unavailable: ${error}`);
          const uptimeSeconds = (Date.now() - started) / 1000;
          if (options.json) {
            options.write(
              `${JSON.stringify({
                event: 'stats',
                uptimeSeconds,
                services: stats,
                split: Object.fromEntries(split),
                load: { ok: window?.ok ?? 0, failed: window?.failed ?? 0 },
                pids: supervisor.pids,
                ...(error === undefined ? {} : { error }),
              })}\n`,
            );
          } else {
            options.write(`\x1b[2J\x1b[H${renderView({ uptimeSeconds, rows, split, notes })}\n`);
          }
        })
        .catch((err: unknown) => log.warn({ err }, 'could not refresh the view'))
        .finally(() => {
          busy = false;
        });
    }, 1000);
    refresh.unref();
    return { proxies, controlPlane, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
