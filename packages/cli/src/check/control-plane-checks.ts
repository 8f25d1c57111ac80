/** Post-install checks of weft's workloads: the control plane Deployment, its /readyz, and proxy versions. */
import { ApiException, type V1Deployment, type V1Pod } from '@kubernetes/client-node';
import type { ClusterContext } from './cluster-checks.js';
import { describeKubeError, isNotFound, statusOf } from './kube-apis.js';
import { readyzHint } from './local-checks.js';
import { type Check, type CheckResult, fail, ok } from './result.js';
import { type ProxyVersion, versionsCheck } from './versions.js';

/** The proxy container's name (the injector's PROXY_CONTAINER_NAME) and version annotation. */
export const PROXY_CONTAINER = 'weft-proxy';
export const INJECTED_VERSION_ANNOTATION = 'weft.dev/injected-version';

/** The tag of an image reference (`ghcr.io/weft-mesh/weft:0.1.0` -> 0.1.0), without a digest. */
export function imageTag(image: string | undefined): string | undefined {
  if (image === undefined) return undefined;
  const withoutDigest = image.split('@')[0] as string;
  const slash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.lastIndexOf(':');
  return colon > slash ? withoutDigest.slice(colon + 1) : undefined;
}

/** Pure: is the Deployment available? */
export function deploymentCheck(name: string, deployment: V1Deployment | undefined): CheckResult {
  if (deployment === undefined)
    return fail(name, 'the Deployment does not exist; install weft with: weft install | kubectl apply -f -');
  const want = deployment.spec?.replicas ?? 1;
  const available = deployment.status?.availableReplicas ?? 0;
  const condition = deployment.status?.conditions?.find((c) => c.type === 'Available');
  const detail = `${available}/${want} replicas available`;
  if (available < 1 || condition?.status === 'False') {
    const ns = deployment.metadata?.namespace ?? '';
    const why = condition?.message === undefined ? '' : `: ${condition.message}`;
    return fail(
      name,
      `no replica is available${why}\nsee: kubectl -n ${ns} describe deployment ${deployment.metadata?.name ?? ''}; kubectl -n ${ns} logs deploy/${deployment.metadata?.name ?? ''}`,
      detail,
    );
  }
  return ok(name, detail);
}

async function readDeployment(ctx: ClusterContext, name: string): Promise<V1Deployment | undefined> {
  try {
    return await ctx.apis.apps.readNamespacedDeployment({ name, namespace: ctx.layout.namespace });
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw new Error(describeKubeError(err), { cause: err });
  }
}

/** The control plane's (or the injector's) Deployment has an available replica. */
export function deploymentAvailableCheck(
  ctx: ClusterContext,
  component: 'control plane' | 'injector',
): Check {
  const name = `${component} Deployment is available`;
  const deployment =
    component === 'injector' ? ctx.layout.injector.deployment : ctx.layout.controlPlane.deployment;
  return { name, run: async () => deploymentCheck(name, await readDeployment(ctx, deployment)) };
}

/** The control plane answers /readyz 200, reached through the API server's service proxy. */
export function readyzCheck(ctx: ClusterContext): Check {
  const name = 'control plane is ready (/readyz)';
  const { service, adminPort } = ctx.layout.controlPlane;
  return {
    name,
    async run() {
      try {
        await ctx.apis.core.connectGetNamespacedServiceProxyWithPath({
          name: `${service}:${adminPort}`,
          namespace: ctx.layout.namespace,
          path: 'readyz',
        });
        return ok(name);
      } catch (err) {
        const via = `(through the API server: services/${service}:${adminPort}/proxy/readyz)`;
        // A 503 with [-] lines is the control plane's own answer; anything else is the way there.
        const body = err instanceof ApiException && typeof err.body === 'string' ? err.body : '';
        if (statusOf(err) === 503 && body.includes('[-]'))
          return fail(name, `${readyzHint(503, body)}\n${via}`);
        return fail(name, `${describeKubeError(err)}\n${via}`);
      }
    },
  };
}

/** The weft-proxy container of a pod (a native sidecar among initContainers, or a container). */
function proxyContainer(pod: V1Pod) {
  const all = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  return all.find((c) => c.name === PROXY_CONTAINER);
}

/** Pure: the proxy version of each meshed pod, from its image tag or the injector's annotation. */
export function proxyVersionsOf(pods: readonly V1Pod[]): ProxyVersion[] {
  const out: ProxyVersion[] = [];
  for (const pod of pods) {
    const container = proxyContainer(pod);
    if (container === undefined) continue;
    const version = imageTag(container.image) ?? pod.metadata?.annotations?.[INJECTED_VERSION_ANNOTATION];
    out.push({ proxy: `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`, version });
  }
  return out;
}

/** Every meshed pod's proxy runs the control plane's version (from its image tag). */
export function proxyVersionCheck(ctx: ClusterContext): Check {
  const name = "proxies run the control plane's version";
  return {
    name,
    async run() {
      const deployment = await readDeployment(ctx, ctx.layout.controlPlane.deployment);
      const containers = deployment?.spec?.template.spec?.containers ?? [];
      const expected =
        imageTag((containers.find((c) => c.name === 'control-plane') ?? containers[0])?.image) ??
        deployment?.metadata?.labels?.['app.kubernetes.io/version'];
      if (expected === undefined)
        return fail(name, 'cannot tell the control plane version: its Deployment is missing');
      const pods = await ctx.apis.core.listPodForAllNamespaces({});
      return versionsCheck(
        name,
        expected,
        proxyVersionsOf(pods.items),
        'restart the workloads to pick up the new proxy: kubectl -n NS rollout restart deploy/NAME',
      );
    },
  };
}
