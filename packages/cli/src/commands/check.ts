/**
 * `weft check`: pre-install and post-install checks of a cluster, or of a local mesh (the
 * running control plane's admin server and the identity folder). One ✔/‼/✖ line per check with
 * a hint under each problem; exits 1 when any check fails.
 */
import { resolve } from 'node:path';
import { describeError } from '@weft/core';
import { type Command, Option } from 'commander';
import { stringify as toYaml } from 'yaml';
import { type CheckResult, passed, renderJson, renderText } from '../check/result.js';
import { colourEnabled, colours } from '../cli-kit/colour.js';
import { durationArg } from '../cli-kit/duration.js';
import { parseAdminAddress } from '../cli-kit/http.js';
import type { CliIo } from '../cli-kit/io.js';
import { type OutputFormat, outputOption } from '../cli-kit/output.js';
import { VERSION } from '../cli-kit/version.js';
import { findManifestsDir } from '../install/manifests-dir.js';

interface CheckFlags {
  kubeconfig?: string;
  context?: string;
  inCluster?: boolean;
  pre?: boolean;
  manifests?: string;
  controlPlaneAdmin?: string;
  identityDir?: string;
  stateDir: string;
  timeout: number;
  output: OutputFormat;
}

const adminUrlArg = (value: string): string => parseAdminAddress(value, 7990);

/** Loads the kubeconfig: --in-cluster, --kubeconfig, or the default (KUBECONFIG, ~/.kube/config, in-cluster). */
async function kubeConfigFor(flags: CheckFlags) {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  try {
    if (flags.inCluster === true) kc.loadFromCluster();
    else if (flags.kubeconfig !== undefined) kc.loadFromFile(flags.kubeconfig);
    else kc.loadFromDefault();
  } catch (err) {
    throw new Error(`kubeconfig ${flags.kubeconfig ?? ''}: ${describeError(err).split('\n')[0]}`, {
      cause: err,
    });
  }
  if (flags.context !== undefined) kc.setCurrentContext(flags.context);
  if (kc.getCurrentCluster() === null) {
    throw new Error('the kubeconfig has no current cluster (give --kubeconfig or --context)');
  }
  return kc;
}

/** Runs the checks `flags` ask for and prints them; resolves with the exit code (0 or 1). */
export async function runCheck(flags: CheckFlags, io: CliIo): Promise<number> {
  let local = flags.controlPlaneAdmin !== undefined || flags.identityDir !== undefined;
  const kube = flags.kubeconfig !== undefined || flags.context !== undefined || flags.inCluster === true;
  let results: CheckResult[];
  try {
    if (!local && !kube && flags.pre !== true) {
      // No flag says which mesh: the local one `weft up` recorded, else the kubeconfig's.
      const { findMesh } = await import('../check/find-mesh.js');
      const target = await findMesh(resolve(flags.stateDir));
      if (target.type === 'none') {
        io.stderr(`weft check: ${target.message}\n`);
        return 1;
      }
      if (target.type === 'local') {
        if (flags.output === 'table') io.stdout(`local mesh of ${target.from}\n`);
        flags = { ...flags, controlPlaneAdmin: target.controlPlaneAdmin, identityDir: target.identityDir };
        local = true;
      }
    }
    // Loaded on use: the Kubernetes client alone would double every weft command's start-up time.
    if (local) {
      const { checkLocal } = await import('../check/check-local.js');
      results = await checkLocal({
        controlPlaneAdmin: flags.controlPlaneAdmin,
        identityDir: flags.identityDir,
        version: VERSION,
        timeoutMs: flags.timeout,
      });
    } else {
      const manifests = flags.manifests ?? findManifestsDir();
      if (manifests === undefined) {
        throw new Error('cannot find the install/ manifests next to this weft; pass --manifests DIR');
      }
      const { checkCluster } = await import('../check/check-cluster.js');
      const { loadInstallLayout } = await import('../check/layout.js');
      results = await checkCluster({
        kubeConfig: await kubeConfigFor(flags),
        layout: loadInstallLayout(manifests),
        pre: flags.pre === true,
        timeoutMs: flags.timeout,
      });
    }
  } catch (err) {
    io.stderr(`weft check: ${describeError(err)}\n`);
    return 1;
  }
  const rendered =
    flags.output === 'table'
      ? renderText(results, colours(colourEnabled(process.stdout)))
      : flags.output === 'json'
        ? renderJson(results)
        : toYaml(JSON.parse(renderJson(results)), { lineWidth: 0 });
  io.stdout(rendered);
  return passed(results) ? 0 : 1;
}

export function registerCheck(program: Command, io: CliIo): void {
  program
    .command('check')
    .description(
      'check a Kubernetes installation (or, with --pre, that the cluster is ready for one), ' +
        'or a local mesh with --control-plane-admin and/or --identity-dir',
    )
    .option('--kubeconfig <path>', 'kubeconfig file (default: KUBECONFIG, ~/.kube/config, or in-cluster)')
    .option('--context <name>', 'kubeconfig context')
    .option('--in-cluster', "use the pod's service account")
    .option('--pre', 'pre-install checks only: API, version, permissions, conflicting CRDs')
    .option('--manifests <dir>', 'the install/ folder the checks expect (default: the one shipped with weft)')
    .addOption(
      new Option(
        '--control-plane-admin <address>',
        "local mode: the control plane's admin address",
      ).argParser(adminUrlArg),
    )
    .option('--identity-dir <dir>', 'local mode: the identity folder (ca.crt, issuer.crt, ...)')
    .option('--state-dir <dir>', 'local mode: where weft up recorded the mesh (local.json)', '.weft')
    .addOption(
      new Option('--timeout <duration>', 'how long each check may take')
        .default(10_000, '10s')
        .argParser(durationArg),
    )
    .addOption(outputOption())
    .action(async (flags: CheckFlags, command: Command) => {
      const local = flags.controlPlaneAdmin !== undefined || flags.identityDir !== undefined;
      const kube = flags.kubeconfig !== undefined || flags.context !== undefined || flags.inCluster === true;
      if (local && (kube || flags.pre === true || flags.manifests !== undefined)) {
        command.error(
          'weft check: --control-plane-admin/--identity-dir (local mode) cannot be combined with ' +
            '--kubeconfig, --context, --in-cluster, --pre or --manifests (Kubernetes mode)',
          { exitCode: 2, code: 'weft.usage' },
        );
      }
      process.exitCode = await runCheck(flags, io);
    });
}
