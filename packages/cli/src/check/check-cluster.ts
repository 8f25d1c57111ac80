/** Which checks `weft check` runs against a cluster, in the order they print. */
import type { KubeConfig } from '@kubernetes/client-node';
import { issuerCheck, trustAnchorCheck, webhookCertificateCheck } from './cluster-certificates.js';
import {
  accessCheck,
  apiChecks,
  type ClusterContext,
  crdChecks,
  crdConflictCheck,
  namespaceAbsentCheck,
} from './cluster-checks.js';
import { clusterRotationCheck } from './cluster-rotation.js';
import { deploymentAvailableCheck, proxyVersionCheck, readyzCheck } from './control-plane-checks.js';
import { gatewayApiCrdCheck } from './gateway-api-checks.js';
import { kubeApis } from './kube-apis.js';
import type { InstallLayout } from './layout.js';
import { networkPolicyCheck } from './network-policy-checks.js';
import { type Check, type CheckResult, runChecks } from './result.js';

/** Options of {@link checkCluster}. */
export interface ClusterCheckOptions {
  readonly kubeConfig: KubeConfig;
  readonly layout: InstallLayout;
  /** Pre-install checks only. */
  readonly pre: boolean;
  readonly timeoutMs: number;
  readonly now?: () => number;
}

/**
 * Checks a cluster: the API server first (nothing else runs when it cannot be reached), then
 * either the pre-install checks or the installation's.
 */
export async function checkCluster(options: ClusterCheckOptions): Promise<CheckResult[]> {
  const ctx: ClusterContext = {
    apis: kubeApis(options.kubeConfig, options.timeoutMs),
    layout: options.layout,
    now: (options.now ?? Date.now)(),
  };
  const results = await runChecks([apiChecks(ctx)], options.timeoutMs);
  if (results.some((r) => r.name === 'Kubernetes API is reachable' && r.status === 'fail')) return results;
  const checks: Check[] = options.pre
    ? [
        namespaceAbsentCheck(ctx),
        crdConflictCheck(ctx),
        accessCheck(ctx),
        gatewayApiCrdCheck(ctx, { pre: true }),
      ]
    : [
        ...crdChecks(ctx),
        gatewayApiCrdCheck(ctx, { pre: false }),
        deploymentAvailableCheck(ctx, 'control plane'),
        readyzCheck(ctx),
        deploymentAvailableCheck(ctx, 'injector'),
        webhookCertificateCheck(ctx),
        trustAnchorCheck(ctx),
        issuerCheck(ctx),
        clusterRotationCheck(ctx.apis, { namespace: ctx.layout.namespace, ...ctx.layout.controlPlane }),
        proxyVersionCheck(ctx),
        networkPolicyCheck(options.kubeConfig, options.layout.namespace, options.timeoutMs),
      ];
  return [...results, ...(await runChecks(checks, options.timeoutMs))];
}
