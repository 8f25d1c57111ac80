/** `weft uninstall`: prints every object `weft install` creates, for `weft uninstall | kubectl delete -f -`. */
import type { Command } from 'commander';
import type { CliIo } from '../cli-kit/io.js';
import { jsonList, manifestOutputOption } from '../cli-kit/output.js';
import { VERSION } from '../cli-kit/version.js';
import { findManifestsDir } from '../install/manifests-dir.js';
import { installedObjects, toYamlStream } from '../install/render-install.js';

interface UninstallFlags {
  ha?: boolean;
  jaeger?: boolean;
  manageNetworkPolicies?: boolean;
  gateway?: boolean;
  manifests?: string;
  output: 'yaml' | 'json';
}

export function registerUninstall(program: Command, io: CliIo): void {
  program
    .command('uninstall')
    .description(
      'print the objects "weft install" creates, for: weft uninstall | kubectl delete -f - ' +
        "(the CRDs too: weft's TrafficPolicy and AuthorizationPolicy objects go with them)",
    )
    .option('--ha', 'the installation was made with --ha')
    .option('--jaeger', 'the installation included the Jaeger addon (--jaeger)')
    .option(
      '--manage-network-policies',
      'the installation was made with --manage-network-policies (the generated NetworkPolicies stay: delete them with kubectl delete networkpolicy -A -l weft.dev/generated=network-policy)',
    )
    .option(
      '--gateway',
      'the installation included the ingress gateway (--gateway); Gateways, routes and the Gateway API CRDs stay',
    )
    .option(
      '--manifests <dir>',
      'the install/ folder it was rendered from (default: the one shipped with weft)',
    )
    .addOption(manifestOutputOption())
    .action((flags: UninstallFlags) => {
      const manifestsDir = flags.manifests ?? findManifestsDir();
      if (manifestsDir === undefined) {
        throw new Error('cannot find the install/ manifests next to this weft; pass --manifests DIR');
      }
      const objects = installedObjects({
        manifestsDir,
        ha: flags.ha === true,
        jaeger: flags.jaeger === true,
        manageNetworkPolicies: flags.manageNetworkPolicies === true,
        gateway: flags.gateway === true,
      });
      const header = [
        `weft ${VERSION}: what weft install${flags.ha ? ' --ha' : ''}${flags.jaeger ? ' --jaeger' : ''}${flags.manageNetworkPolicies ? ' --manage-network-policies' : ''}${flags.gateway ? ' --gateway' : ''} created.`,
        'Delete with: kubectl delete -f -   (pods keep their sidecars until restarted)',
      ].join('\n');
      io.stdout(flags.output === 'json' ? jsonList(objects) : toYamlStream(objects, header));
    });
}
