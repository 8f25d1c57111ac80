/**
 * `weft stat`: golden metrics per service (success rate, requests per second, p50/p95/p99
 * latency), gathered by the control plane from every proxy's inbound side.
 */
import { resolve } from 'node:path';
import { describeError } from '@weft/core';
import { type Command, Option } from 'commander';
import { addControlPlaneReachOptions, type ControlPlaneReachFlags } from '../cli-kit/control-plane-reach.js';
import { durationOrZeroArg } from '../cli-kit/duration.js';
import { deprecatedAlias } from '../cli-kit/env.js';
import type { CliIo } from '../cli-kit/io.js';
import { type OutputFormat, outputOption, renderAs } from '../cli-kit/output.js';
import { goldenMetrics, type ProxyScrape, renderStatTable } from '../stat/golden.js';
import { controlPlaneAdminSource, kubernetesSource, type StatSource } from '../stat/sources.js';
import { readLocalState } from '../up/local-state.js';

interface StatFlags extends ControlPlaneReachFlags {
  namespace?: string;
  window: number;
  output: OutputFormat;
}

/** Waits `ms` (the window between the two scrapes). */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs one `weft stat`; exported for tests. */
export async function runStat(source: StatSource, flags: Pick<StatFlags, 'namespace' | 'window' | 'output'>) {
  let before: ProxyScrape[] | undefined;
  if (flags.window > 0) {
    before = await source.gather();
    await sleep(flags.window);
  }
  const after = await source.gather();
  const inNamespace = (s: ProxyScrape) => flags.namespace === undefined || s.namespace === flags.namespace;
  const rows = goldenMetrics(after.filter(inNamespace), before?.filter(inNamespace));
  // Unknown values (no requests) are null rather than missing in JSON and YAML.
  return renderAs(flags.output, { windowSeconds: flags.window / 1000, services: rows }, () =>
    rows.length === 0 ? 'No meshed proxies reported metrics.\n' : renderStatTable(rows),
  );
}

/**
 * The admin address a running `weft up` recorded under `stateDir`, else the fixed default port,
 * with what to say if that cannot be reached.
 */
async function recordedAdmin(stateDir: string): Promise<{ url: string; hint?: string }> {
  const found = await readLocalState(resolve(stateDir));
  if (found.type === 'running') return { url: found.state.controlPlane.admin };
  return {
    url: 'http://127.0.0.1:7990',
    hint: `no local mesh recorded (${found.reason}): start one with "weft up --config-dir DIR" in this folder, give --state-dir or --control-plane-admin, or --kubernetes for a cluster`,
  };
}

export function registerStat(program: Command, io: CliIo): void {
  const command = addControlPlaneReachOptions(
    program
      .command('stat')
      .description('golden metrics per service: success rate, requests per second, latency percentiles'),
    ', else http://127.0.0.1:7990',
  )
    .option('-n, --namespace <ns>', 'only services of this namespace')
    .addOption(
      new Option('--window <duration>', 'measure over this long (0: since each proxy started)')
        .default(10_000, '10s')
        .argParser(durationOrZeroArg),
    )
    .addOption(outputOption());
  deprecatedAlias(command, '--control-plane-namespace <ns>', '--mesh-namespace', io.stderr);
  command.action(async (flags: StatFlags) => {
    const source =
      flags.kubernetes === true || flags.kubeconfig !== undefined || flags.context !== undefined
        ? kubernetesSource({
            kubeconfig: flags.kubeconfig,
            context: flags.context,
            controlPlaneNamespace: flags.meshNamespace,
          })
        : undefined;
    const recorded =
      source === undefined && flags.controlPlaneAdmin === undefined
        ? await recordedAdmin(flags.stateDir)
        : undefined;
    try {
      io.stdout(
        await runStat(
          source ?? controlPlaneAdminSource(flags.controlPlaneAdmin ?? recorded?.url ?? ''),
          flags,
        ),
      );
    } catch (err) {
      const hint = recorded?.hint === undefined ? '' : `\n${recorded.hint}`;
      io.stderr(`weft stat: ${describeError(err)}${hint}\n`);
      process.exitCode = 1;
    }
  });
}
