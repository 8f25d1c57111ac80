/**
 * The trust-anchor rotation as every control-plane replica in a cluster sees it, read through
 * the API server (no port-forward): the replicas are the Pods behind the control plane Service's
 * Endpoints, and each one's report comes from its admin port through the pod proxy
 * (`pods/<name>:<port>/proxy/identity/v1/rotation`). Each replica knows only the proxies
 * connected to it, so the reports are summed; their steps must agree.
 */
import type { V1EndpointSubset, V1Endpoints } from '@kubernetes/client-node';
import { type RotationReportView, rotationCheckResult } from './anchor-rotation.js';
import { describeKubeError, type KubeApis } from './kube-apis.js';
import { type Check, type CheckResult, ok, warn } from './result.js';

/** One replica's answer: its report, or why there is none. */
export interface ReplicaReport {
  /** `<namespace>/<pod>` (or the endpoint address when it names no Pod). */
  readonly replica: string;
  readonly report?: RotationReportView;
  readonly error?: string;
}

/** The admin port's number in the Endpoints subset (the layout names the Service port). */
function adminPortOf(subset: V1EndpointSubset, portName: string): number | undefined {
  const ports = subset.ports ?? [];
  return (
    ports.find((p) => p.name === portName) ??
    (/^\d+$/.test(portName) ? { port: Number(portName) } : undefined)
  )?.port;
}

/** Where the control plane runs: its namespace, its Service, and the Service's admin port (name or number). */
export interface ControlPlaneService {
  readonly namespace: string;
  readonly service: string;
  readonly adminPort: string;
}

/** Every control-plane replica's rotation report, read through the API server. */
export async function replicaRotationReports(
  apis: Pick<KubeApis, 'core'>,
  target: ControlPlaneService,
): Promise<ReplicaReport[]> {
  const { namespace, service, adminPort } = target;
  let endpoints: V1Endpoints;
  try {
    endpoints = await apis.core.readNamespacedEndpoints({ name: service, namespace });
  } catch (err) {
    throw new Error(`cannot read the Endpoints ${namespace}/${service}: ${describeKubeError(err)}`, {
      cause: err,
    });
  }
  const out: ReplicaReport[] = [];
  const reads: Promise<void>[] = [];
  for (const subset of endpoints.subsets ?? []) {
    const port = adminPortOf(subset, adminPort);
    for (const a of subset.notReadyAddresses ?? []) {
      out.push({ replica: `${namespace}/${a.targetRef?.name ?? a.ip}`, error: 'not ready' });
    }
    for (const a of subset.addresses ?? []) {
      const pod = a.targetRef?.kind === 'Pod' ? a.targetRef.name : undefined;
      const replica = `${namespace}/${pod ?? a.ip}`;
      if (pod === undefined || port === undefined) {
        out.push({
          replica,
          error:
            pod === undefined
              ? 'the endpoint names no Pod'
              : `Endpoints ${service} have no port ${adminPort}`,
        });
        continue;
      }
      const entry: { replica: string; report?: RotationReportView; error?: string } = { replica };
      out.push(entry);
      reads.push(
        apis.core
          .connectGetNamespacedPodProxyWithPath({
            name: `${pod}:${port}`,
            namespace,
            path: 'identity/v1/rotation',
          })
          .then((body: unknown) => {
            // The generated client parses a JSON body itself; older servers may send text.
            entry.report = (typeof body === 'string' ? JSON.parse(body) : body) as RotationReportView;
          })
          .catch((err: unknown) => {
            entry.error = `${describeKubeError(err)} (through the API server: pods/${pod}:${port}/proxy/identity/v1/rotation)`;
          }),
      );
    }
  }
  await Promise.all(reads);
  return out.sort((a, b) => a.replica.localeCompare(b.replica));
}

/**
 * Pure: the replicas' reports as one (proxies summed, lagging lists joined), or why they
 * cannot be: a replica that did not answer, or replicas on different steps (one has not
 * loaded the identity Secrets the others have, yet).
 */
export function mergeRotationReports(
  reports: readonly ReplicaReport[],
): { readonly report: RotationReportView } | { readonly problem: string } {
  const failed = reports.filter((r) => r.report === undefined);
  if (reports.length === 0) return { problem: 'no control-plane replica is behind the Service' };
  if (failed.length > 0)
    return { problem: failed.map((r) => `${r.replica}: ${r.error ?? 'no report'}`).join('\n') };
  const all = reports.map((r) => ({ replica: r.replica, report: r.report as RotationReportView }));
  const first = all[0]!.report;
  const differ = all.filter(
    (r) => r.report.step !== first.step || r.report.issuer.fingerprint !== first.issuer.fingerprint,
  );
  if (differ.length > 0)
    return {
      problem: `the replicas disagree (one has not loaded the identity Secrets yet; wait and check again):\n${all
        .map((r) => `  ${r.replica}: ${r.report.step}, issuer ${r.report.issuer.fingerprint.slice(0, 16)}…`)
        .join('\n')}`,
    };
  const proxies = all.map((r) => r.report.proxies);
  return {
    report: {
      ...first,
      proxies: {
        connected: proxies.reduce((n, p) => n + p.connected, 0),
        withBundle: proxies.reduce((n, p) => n + p.withBundle, 0),
        withCurrentIssuer: proxies.reduce((n, p) => n + p.withCurrentIssuer, 0),
        lagging: proxies.flatMap((p) => p.lagging),
      },
    },
  };
}

/** Pure: the `weft check` result for the replicas' reports. */
export function clusterRotationResult(name: string, reports: readonly ReplicaReport[]): CheckResult {
  const merged = mergeRotationReports(reports);
  if ('problem' in merged) return warn(name, merged.problem, 'cannot tell the rotation step');
  const result = rotationCheckResult(name, merged.report);
  const replicas = `${reports.length} control-plane ${reports.length === 1 ? 'replica' : 'replicas'} agree`;
  return { ...result, detail: result.detail === undefined ? replicas : `${result.detail}\n${replicas}` };
}

/** `weft check` (cluster): the trust-anchor rotation step and the proxies that lag, from every replica. */
export function clusterRotationCheck(apis: KubeApis, target: ControlPlaneService): Check {
  const name = 'trust-anchor rotation';
  return {
    name,
    async run(): Promise<CheckResult> {
      const reports = await replicaRotationReports(apis, target);
      if (reports.length > 0 && reports.every((r) => r.error?.startsWith('HTTP 404') === true))
        return ok(name, 'the control plane reports no identity (/identity/v1/rotation)');
      return clusterRotationResult(name, reports);
    },
  };
}
