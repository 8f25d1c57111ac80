/**
 * How a read-only command (`weft stat`, `weft dashboard`) finds the control plane: its admin
 * address in local mode (given, or the one `weft up` recorded), or the Kubernetes API server's
 * service proxy with the user's kubeconfig.
 */
import { type Command, Option } from 'commander';
import { parseAdminAddress } from './http.js';

/** The flags `addControlPlaneReachOptions` adds. */
export interface ControlPlaneReachFlags {
  controlPlaneAdmin?: string;
  stateDir: string;
  kubernetes?: boolean;
  kubeconfig?: string;
  context?: string;
  meshNamespace: string;
}

/**
 * Adds --control-plane-admin (WEFT_CONTROL_PLANE_ADMIN), --state-dir, --kubernetes, --kubeconfig,
 * --context and --mesh-namespace. `adminFallback` finishes the admin address's help text: what
 * the command does when neither the flag nor `weft up`'s record gives one.
 */
export function addControlPlaneReachOptions(command: Command, adminFallback: string): Command {
  return command
    .addOption(
      new Option(
        '--control-plane-admin <address>',
        `the control plane's admin address (local mode; default: the one weft up recorded${adminFallback})`,
      )
        .env('WEFT_CONTROL_PLANE_ADMIN')
        .argParser((v) => parseAdminAddress(v, 7990)),
    )
    .option('--state-dir <dir>', 'local mode: where weft up recorded the mesh (local.json)', '.weft')
    .option('--kubernetes', 'reach the control plane through the Kubernetes API server (kubeconfig)')
    .option('--kubeconfig <file>', 'kubeconfig file (default: KUBECONFIG or ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context')
    .option('--mesh-namespace <ns>', "the mesh's own namespace, where the control plane runs", 'weft-system');
}
