/** Which checks `weft check` runs in each mode, in the order they print. */
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
import { deploymentAvailableCheck, proxyVersionCheck, readyzCheck } from './control-plane-checks.js';
import { kubeApis } from './kube-apis.js';
import type { InstallLayout } from './layout.js';
import { adminHealthChecks, connectedProxiesCheck, identityDirChecks } from './local-checks.js';
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
    ? [namespaceAbsentCheck(ctx), crdConflictCheck(ctx), accessCheck(ctx)]
    : [
        ...crdChecks(ctx),
        deploymentAvailableCheck(ctx, 'control plane'),
        readyzCheck(ctx),
        deploymentAvailableCheck(ctx, 'injector'),
        webhookCertificateCheck(ctx),
        trustAnchorCheck(ctx),
        issuerCheck(ctx),
        proxyVersionCheck(ctx),
      ];
  return [...results, ...(await runChecks(checks, options.timeoutMs))];
}

/** Options of {@link checkLocal}; at least one of the two places. */
export interface LocalCheckOptions {
  /** The control plane's admin address, e.g. http://127.0.0.1:7990. */
  readonly controlPlaneAdmin?: string | undefined;
  /** The identity folder (ca.crt, issuer.crt, ...). */
  readonly identityDir?: string | undefined;
  /** The version proxies should run (this weft's). */
  readonly version: string;
  readonly timeoutMs: number;
  readonly now?: () => number;
}

/** Checks a local mesh: the control plane's admin server and/or the identity folder. */
export async function checkLocal(options: LocalCheckOptions): Promise<CheckResult[]> {
  const admin = options.controlPlaneAdmin;
  const [health, ...adminRest] = admin === undefined ? [] : adminHealthChecks(admin, options.timeoutMs);
  const results = health === undefined ? [] : await runChecks([health], options.timeoutMs);
  // When the admin server cannot be reached, its other checks would only repeat that.
  const reachable = results.every((r) => r.status !== 'fail');
  const checks: Check[] = reachable ? [...adminRest] : [];
  if (options.identityDir !== undefined) {
    checks.push(...identityDirChecks(options.identityDir, options.now ?? Date.now));
  }
  if (admin !== undefined && reachable) {
    checks.push(connectedProxiesCheck(admin, options.version, options.timeoutMs));
  }
  return [...results, ...(await runChecks(checks, options.timeoutMs))];
}
