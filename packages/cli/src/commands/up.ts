/** `weft up`: local mode — a control plane over a manifests folder, and proxies beside local apps. */

import { resolve } from 'node:path';
import { createLogger } from '@weft/runtime';
import { type Command, InvalidArgumentError } from 'commander';
import { envForEveryFlag } from '../cli-kit/env.js';
import type { CliIo } from '../cli-kit/io.js';
import { outputOption } from '../cli-kit/output.js';
import {
  DASHBOARD_LISTEN,
  exposureWarning,
  jaegerArg,
  laterUpstream,
  parseDashboardListen,
  startDashboard,
} from '../dashboard/launch.js';
import { untilSignal } from '../signals.js';
import { addTracingOptions, type TracingFlags } from '../telemetry/tracing-flags.js';
import { startDemo } from '../up/demo.js';
import { joinHint } from '../up/join-hint.js';
import { ensureIdentity, startControlPlane } from '../up/local-mesh.js';
import { removeLocalState, writeLocalState } from '../up/local-state.js';
import { type ChildProblemSink, Supervisor } from '../up/supervisor.js';

interface UpFlags extends TracingFlags {
  configDir?: string;
  demo?: boolean;
  stateDir: string;
  rate: number;
  gatewayPort: number;
  output: 'table' | 'json';
  dashboard: boolean;
  dashboardListen: string;
  jaegerUrl?: string;
}

function rate(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 1000) throw new InvalidArgumentError('must be between 0 and 1000');
  return n;
}

function gatewayPort(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new InvalidArgumentError(`"${value}" is not a port (0-65535)`);
  return n;
}

/** Prints what a child reports that a person must see; the control plane's lines are `file:line: …`. */
export function printProblem(io: CliIo): ChildProblemSink {
  return (child, text) => io.stderr(child === 'control-plane' ? `${text}\n` : `${child}: ${text}\n`);
}

export function registerUp(program: Command, io: CliIo): void {
  const command = program
    .command('up')
    .description('run a local mesh: control plane over a folder of manifests, proxies as child processes')
    .option('--config-dir <dir>', 'folder of manifests to serve (default with --demo: the demo manifests)')
    .option('--demo', 'also start the demo application (loadgen -> web -> api v1/v2 -> store)')
    .option('--state-dir <dir>', 'where the CA, tokens and demo manifests live', '.weft')
    .option('--rate <n>', 'demo: requests per second the load generator sends', rate, 20)
    .option(
      '--gateway-port <port>',
      'demo: the local port of the ingress gateway in front of web (0: any free port; printed)',
      gatewayPort,
      0,
    )
    .option(
      '--dashboard-listen <host:port>',
      'where the web dashboard listens (taken: a free port)',
      DASHBOARD_LISTEN,
    )
    .option('--no-dashboard', 'do not serve the web dashboard')
    .option('--jaeger-url <url>', "the dashboard links to Jaeger's search here (with --otlp)", jaegerArg)
    .addOption(
      // A stream of one object per second, not one resource: JSON lines, no YAML.
      outputOption(
        ['table', 'json'],
        'demo: "table" (the live terminal view) or "json" (one object per second)',
      ),
    )
    .action(async (flags: UpFlags) => {
      const log = createLogger({ component: 'up', level: process.env.WEFT_LOG_LEVEL ?? 'warn' });
      // The control plane and every proxy started here trace alike (they read WEFT_* variables);
      // with --otlp, every new trace is sampled unless --trace-sampling says otherwise.
      if (flags.otlp !== undefined) {
        process.env.WEFT_OTLP = flags.otlp;
        process.env.WEFT_TRACE_SAMPLING = flags.traceSampling ?? '1';
      } else if (flags.traceSampling !== undefined) process.env.WEFT_TRACE_SAMPLING = flags.traceSampling;
      if (flags.otlpProtocol !== undefined) process.env.WEFT_OTLP_PROTOCOL = flags.otlpProtocol;
      const stateDir = resolve(flags.stateDir);
      const identityDir = await ensureIdentity(stateDir);
      if (!flags.demo && flags.configDir === undefined) {
        throw new InvalidArgumentError('give --config-dir DIR (a folder of manifests), or --demo');
      }
      const stopSignal = untilSignal();
      // The web dashboard starts first (so its URL goes with the live view) and reads the
      // control plane once it runs.
      let adminUrl: string | undefined;
      const listen = parseDashboardListen(flags.dashboardListen);
      const warning = flags.dashboard ? exposureWarning(listen.host) : undefined;
      if (warning !== undefined) io.stderr(`weft up: ${warning}\n`);
      const dashboard = flags.dashboard
        ? await startDashboard({
            listen,
            upstream: laterUpstream(() => adminUrl),
            mode: 'local',
            jaegerUrl: flags.jaegerUrl,
            fallback: true,
          })
        : undefined;
      const dashboardNote = dashboard === undefined ? [] : [`dashboard: ${dashboard.url()}`];
      if (dashboard !== undefined) io.stderr(`weft up: ${dashboardNote[0]}\n`);
      if (flags.demo) {
        const progress = (text: string) => io.stderr(`weft up: ${text}\n`);
        const demo = await startDemo({
          stateDir,
          identityDir,
          ...(flags.configDir ? { configDir: resolve(flags.configDir) } : {}),
          ...(flags.otlp ? { otlp: flags.otlp } : {}),
          rate: flags.rate,
          gatewayPort: flags.gatewayPort,
          mode: flags.output === 'json' ? 'json' : process.stdout.isTTY ? 'tty' : 'plain',
          write: io.stdout,
          progress,
          onProblem: printProblem(io),
          notes: dashboardNote,
          log,
        }).catch(async (err: unknown) => {
          await dashboard?.close();
          throw err;
        });
        adminUrl = `http://127.0.0.1:${demo.controlPlane.adminPort}`;
        await stopSignal;
        await dashboard?.close();
        await demo.stop();
        await removeLocalState(stateDir);
        io.stderr('weft up: stopped\n');
        return;
      }
      if (flags.configDir === undefined) {
        throw new InvalidArgumentError('give --config-dir DIR (a folder of manifests), or --demo');
      }
      const configDir = resolve(flags.configDir);
      const supervisor = new Supervisor(log, printProblem(io));
      io.stderr(`weft up: starting the control plane over ${configDir}\n`);
      const cp = await startControlPlane(supervisor, { configDir, identityDir }, log).catch(
        async (err: unknown) => {
          await dashboard?.close();
          throw err;
        },
      );
      adminUrl = `http://127.0.0.1:${cp.adminPort}`;
      const statePath = await writeLocalState(stateDir, {
        pid: process.pid,
        startedAt: new Date().toISOString(),
        configDir,
        identityDir,
        controlPlane: { grpc: `127.0.0.1:${cp.grpcPort}`, admin: `http://127.0.0.1:${cp.adminPort}` },
        proxies: [],
      });
      io.stdout(joinHint({ ...cp, identityDir, statePath }));
      await stopSignal;
      await dashboard?.close();
      await supervisor.stopAll(3000);
      await removeLocalState(stateDir);
    });
  envForEveryFlag(addTracingOptions(command));
}
