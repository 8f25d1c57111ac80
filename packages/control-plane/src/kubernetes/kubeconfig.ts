/** Loads a KubeConfig from --kubeconfig or the pod's service account, with errors that say what is wrong. */
import { existsSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import { describeError, WeftError } from '@weft/core';

export interface KubeConfigFlags {
  readonly kubeconfig?: string;
  readonly inCluster?: boolean;
}

/** Reads the kubeconfig; throws a WeftError naming the file or the missing in-cluster setting. */
export function loadKubeConfig(flags: KubeConfigFlags): KubeConfig {
  const kc = new KubeConfig();
  if (flags.inCluster === true) {
    if (
      process.env.KUBERNETES_SERVICE_HOST === undefined ||
      process.env.KUBERNETES_SERVICE_PORT === undefined
    ) {
      throw new WeftError(
        'FAILED_PRECONDITION',
        '--in-cluster: KUBERNETES_SERVICE_HOST/PORT are not set (not running in a pod?)',
      );
    }
    try {
      kc.loadFromCluster();
    } catch (err) {
      throw new WeftError('FAILED_PRECONDITION', `--in-cluster: ${describeError(err)}`, { cause: err });
    }
    return kc;
  }
  const path = flags.kubeconfig;
  if (path === undefined) throw new WeftError('INVALID_ARGUMENT', 'give --kubeconfig PATH or --in-cluster');
  if (!existsSync(path)) throw new WeftError('FAILED_PRECONDITION', `kubeconfig ${path}: no such file`);
  try {
    kc.loadFromFile(path);
  } catch (err) {
    throw new WeftError('INVALID_CONFIG', `kubeconfig ${path}: ${describeError(err).split('\n')[0]}`, {
      cause: err,
    });
  }
  const cluster = kc.getCurrentCluster();
  if (cluster === null)
    throw new WeftError('INVALID_CONFIG', `kubeconfig ${path}: no current context with a cluster`);
  try {
    new URL(cluster.server);
  } catch {
    throw new WeftError(
      'INVALID_CONFIG',
      `kubeconfig ${path}: cluster ${cluster.name} has an invalid server "${cluster.server}"`,
    );
  }
  return kc;
}
