/**
 * `weft stat`: golden metrics per service (success rate, requests per second, p50/p95/p99
 * latency), gathered by the control plane from every proxy's inbound side.
 */
import { describeError } from '@weft/core';
import { type Command, Option } from 'commander';
import { durationOrZeroArg } from '../cli-kit/duration.js';
import { deprecatedAlias } from '../cli-kit/env.js';
import { parseAdminAddress } from '../cli-kit/http.js';
import { type OutputFormat, outputOption, renderAs } from '../cli-kit/output.js';
import type { CliIo } from '../program.js';
import { goldenMetrics, type ProxyScrape, renderStatTable } from '../stat/golden.js';
import { controlPlaneAdminSource, kubernetesSource, type StatSource } from '../stat/sources.js';

interface StatFlags {
  controlPlaneAdmin: string;
  kubernetes?: boolean;
  kubeconfig?: string;
  context?: string;
  meshNamespace: string;
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

export function registerStat(program: Command, io: CliIo): void {
  const command = program
    .command('stat')
    .description('golden metrics per service: success rate, requests per second, latency percentiles')
    .addOption(
      new Option('--control-plane-admin <address>', "the control plane's admin address (local mode)")
        .env('WEFT_CONTROL_PLANE_ADMIN')
        .default('http://127.0.0.1:7990')
        .argParser((v) => parseAdminAddress(v, 7990)),
    )
    .option('--kubernetes', 'reach the control plane through the Kubernetes API server (kubeconfig)')
    .option('--kubeconfig <file>', 'kubeconfig file (default: KUBECONFIG or ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context')
    .option('--mesh-namespace <ns>', "the mesh's own namespace, where the control plane runs", 'weft-system')
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
        : controlPlaneAdminSource(parseAdminAddress(flags.controlPlaneAdmin, 7990));
    try {
      io.stdout(await runStat(source, flags));
    } catch (err) {
      io.stderr(`weft stat: ${describeError(err)}\n`);
      process.exitCode = 1;
    }
  });
}
