/**
 * `weft dashboard`: the web view of the mesh on 127.0.0.1:7070. Locally it reads the control
 * plane `weft up` recorded in `.weft/`; in Kubernetes it goes through the API server's service
 * proxy with the user's kubeconfig. Read-only; a non-loopback `--listen` prints a warning.
 */

import { resolve } from 'node:path';
import { describeError, WeftError } from '@weft/core';
import { adminUpstream, kubernetesUpstream, type Upstream } from '@weft/dashboard';
import { type Command, Option } from 'commander';
import { addControlPlaneReachOptions, type ControlPlaneReachFlags } from '../cli-kit/control-plane-reach.js';
import type { CliIo } from '../cli-kit/io.js';
import {
  DASHBOARD_LISTEN,
  exposureWarning,
  jaegerArg,
  parseDashboardListen,
  startDashboard,
} from '../dashboard/launch.js';
import { untilSignal } from '../signals.js';
import { readLocalState } from '../up/local-state.js';

interface DashboardFlags extends ControlPlaneReachFlags {
  listen: string;
  jaegerUrl?: string;
}

export function registerDashboard(program: Command, io: CliIo): void {
  const command = addControlPlaneReachOptions(
    program
      .command('dashboard')
      .description('serve a read-only web view of the mesh (service graph, services, proxies, control plane)')
      .option(
        '--listen <host:port>',
        'where to serve it (anything but loopback prints a warning)',
        DASHBOARD_LISTEN,
      ),
    '',
  ).addOption(
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
