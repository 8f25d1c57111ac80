/**
 * `weft check`: NetworkPolicies that break the mesh. Evaluates the cluster's NetworkPolicies
 * (with the evaluator `weft netpol` is tested with) for the connections the mesh needs: proxy to
 * proxy on the inbound port where the mesh's own policy allows the caller, every proxy to the
 * control plane (7443), the API server to the injector's webhook (8443), and DNS (53, UDP and TCP).
 * Each refusal names the NetworkPolicies that isolate the refusing side.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { PodResource } from '@weft/api';
import type { EvaluatedPolicy, NetpolEndpoint, NetpolInputs } from '@weft/control-plane';
import { type Check, type CheckResult, fail, ok } from './result.js';

const SA_LABEL = 'weft.dev/service-account';
/** Distinct meshed workload shapes (namespace + labels) checked pairwise; more are sampled. */
export const MAX_SHAPES = 100;
/** Refused connections listed in a hint. */
const MAX_LISTED = 5;
const VOLATILE = ['pod-template-hash', 'controller-revision-hash', 'statefulset.kubernetes.io/pod-name'];

/** What the NetworkPolicy checks read. */
export interface NetpolCheckInputs {
  readonly mesh: NetpolInputs;
  readonly networkPolicies: readonly EvaluatedPolicy[];
}

interface Shape {
  readonly pod: PodResource;
  readonly endpoint: NetpolEndpoint;
  readonly name: string;
}

function isMeshed(pod: PodResource): boolean {
  return (
    pod.metadata.annotations?.['weft.dev/injected-version'] !== undefined ||
    pod.spec.containers.some((c) => c.name === 'weft-proxy') ||
    (pod.spec.initContainers ?? []).some((c) => c.name === 'weft-proxy')
  );
}

function endpointOf(inputs: NetpolInputs, pod: PodResource): NetpolEndpoint {
  const namespace = pod.metadata.namespace ?? 'default';
  const ns = inputs.namespaces.find((n) => n.metadata.name === namespace);
  const namedPorts: Record<string, number> = {};
  for (const c of pod.spec.containers)
    for (const p of c.ports ?? []) if (p.name) namedPorts[p.name] = p.containerPort;
  return {
    namespace,
    namespaceLabels: ns?.metadata.labels ?? {},
    labels: pod.metadata.labels ?? {},
    ip: pod.status?.podIP,
    namedPorts,
  };
}

/** One pod per distinct (namespace, stable labels): replicas are evaluated once. */
function shapesOf(inputs: NetpolInputs, pods: readonly PodResource[]): Shape[] {
  const byKey = new Map<string, Shape>();
  for (const pod of pods) {
    const labels = Object.entries(pod.metadata.labels ?? {})
      .filter(([k]) => !VOLATILE.includes(k))
      .sort();
    const key = JSON.stringify([pod.metadata.namespace, labels, pod.spec.serviceAccountName]);
    if (!byKey.has(key)) {
      byKey.set(key, {
        pod,
        endpoint: endpointOf(inputs, pod),
        name: `${pod.metadata.namespace}/${pod.metadata.name}`,
      });
    }
  }
  return [...byKey.values()].sort((a, b) => (a.name < b.name ? -1 : 1)).slice(0, MAX_SHAPES);
}

/** The pods of one of weft's own components (by the app.kubernetes.io labels the install sets). */
function weftComponent(pods: readonly PodResource[], component: string): PodResource[] {
  return pods.filter(
    (p) =>
      p.metadata.labels?.['app.kubernetes.io/part-of'] === 'weft' &&
      p.metadata.labels?.['app.kubernetes.io/component'] === component,
  );
}

function listed(refusals: readonly string[]): string {
  const more = refusals.length - MAX_LISTED;
  return refusals.slice(0, MAX_LISTED).join('\n') + (more > 0 ? `\n(and ${more} more)` : '');
}

const GENERATE_HINT = 'weft netpol generate prints NetworkPolicies that allow exactly what the mesh allows';

/** Pure: judges the cluster's NetworkPolicies. Exported for tests. */
export async function judgeNetworkPolicies(inputs: NetpolCheckInputs): Promise<CheckResult[]> {
  const { evaluateConnection, hasPeer, podAccess, serviceFromResource } = await import('@weft/control-plane');
  const { mesh, networkPolicies } = inputs;
  const live = mesh.pods.filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
  const meshed = shapesOf(mesh, live.filter(isMeshed));
  const services = mesh.services.map((s) => serviceFromResource(s, mesh.mesh.proxy.opaquePorts));
  const results: CheckResult[] = [];
  const verdict = (from: NetpolEndpoint, to: NetpolEndpoint, port: number, protocol: 'TCP' | 'UDP') =>
    evaluateConnection(networkPolicies, { from, to, port, protocol });
  const why = (v: ReturnType<typeof verdict>) =>
    v.type === 'deny' ? `refused by the ${v.direction} NetworkPolicies ${v.policies.join(', ')}` : '';

  // Proxy to proxy, where the mesh allows the caller.
  const name7143 = 'NetworkPolicies let meshed pods reach each other on the proxy port (7143)';
  const refused: string[] = [];
  let pairs = 0;
  for (const dst of meshed) {
    const ns = mesh.namespaces.find((n) => n.metadata.name === dst.endpoint.namespace);
    const access = podAccess(dst.pod, { mesh: mesh.mesh, namespace: ns, services, policies: mesh.policies });
    for (const src of meshed) {
      if (src === dst) continue;
      const sa = src.pod.metadata.labels?.[SA_LABEL] ?? src.pod.spec.serviceAccountName ?? 'default';
      if (!hasPeer(access.meshed, src.endpoint.namespace, sa)) continue;
      pairs++;
      const v = verdict(src.endpoint, dst.endpoint, access.inboundPort, 'TCP');
      if (v.type === 'deny') refused.push(`${src.name} -> ${dst.name}:${access.inboundPort}: ${why(v)}`);
    }
  }
  results.push(
    refused.length === 0
      ? ok(name7143, `${pairs} allowed pair${pairs === 1 ? '' : 's'} of workloads checked`)
      : fail(name7143, `${listed(refused)}\nthe mesh allows these callers; ${GENERATE_HINT}`),
  );

  // Every proxy to the control plane.
  const cpPods = weftComponent(live, 'control-plane');
  const cpName = 'NetworkPolicies let proxies reach the control plane (7443)';
  const cpRefused: string[] = [];
  for (const cp of shapesOf(mesh, cpPods)) {
    for (const src of meshed) {
      const v = verdict(src.endpoint, cp.endpoint, 7443, 'TCP');
      if (v.type === 'deny') cpRefused.push(`${src.name} -> ${cp.name}:7443: ${why(v)}`);
    }
  }
  results.push(
    cpRefused.length === 0
      ? ok(cpName, cpPods.length === 0 ? 'no control plane pod found' : undefined)
      : fail(
          cpName,
          `${listed(cpRefused)}\nproxies get certificates and config there: allow TCP 7443 to the control plane from every meshed pod`,
        ),
  );

  // The API server to the webhook: not a pod, at an address the cluster does not tell.
  const apiServer: NetpolEndpoint = { namespace: '', namespaceLabels: {}, labels: {}, external: true };
  const injectors = weftComponent(live, 'injector');
  const whName = 'NetworkPolicies let the API server reach the injector webhook (8443)';
  const whRefused: string[] = [];
  for (const inj of shapesOf(mesh, injectors)) {
    const v = verdict(apiServer, inj.endpoint, 8443, 'TCP');
    if (v.type === 'deny') whRefused.push(`API server -> ${inj.name}:8443: ${why(v)}`);
  }
  results.push(
    whRefused.length === 0
      ? ok(whName, injectors.length === 0 ? 'no injector pod found' : undefined)
      : fail(
          whName,
          `${listed(whRefused)}\nthe API server is not a pod, so pod and namespace selectors never match it: allow TCP 8443 from anywhere (or an ipBlock holding the API server's address)`,
        ),
  );

  // DNS: to the cluster DNS pods, or to where they usually are when none is found.
  const dnsPods = live.filter((p) => p.metadata.labels?.['k8s-app'] === 'kube-dns');
  const dnsTargets: NetpolEndpoint[] =
    dnsPods.length > 0
      ? shapesOf(mesh, dnsPods).map((s) => s.endpoint)
      : [{ namespace: 'kube-system', namespaceLabels: {}, labels: { 'k8s-app': 'kube-dns' } }];
  const dnsName = 'NetworkPolicies let meshed pods resolve DNS (53, UDP and TCP)';
  const dnsRefused: string[] = [];
  for (const src of meshed) {
    for (const to of dnsTargets) {
      for (const protocol of ['UDP', 'TCP'] as const) {
        const v = verdict(src.endpoint, to, 53, protocol);
        if (v.type === 'deny')
          dnsRefused.push(`${src.name} -> ${to.namespace} DNS 53/${protocol}: ${why(v)}`);
      }
    }
  }
  results.push(
    dnsRefused.length === 0
      ? ok(dnsName)
      : fail(
          dnsName,
          `${listed(dnsRefused)}\nallow egress to the cluster DNS on port 53 over both UDP and TCP (TCP carries large answers)`,
        ),
  );
  return results;
}

/** The check `weft check` runs: reads the cluster, then judges it. */
export function networkPolicyCheck(kubeConfig: KubeConfig, meshNamespace: string, timeoutMs: number): Check {
  return {
    name: 'NetworkPolicies let the mesh through',
    async run() {
      const { kubeRequest, readNetpolInputs } = await import('@weft/control-plane');
      const read = await readNetpolInputs(kubeConfig, { meshNamespace, timeoutMs });
      const list = (await kubeRequest(kubeConfig, {
        method: 'GET',
        path: '/apis/networking.k8s.io/v1/networkpolicies',
        timeoutMs,
      })) as { items?: EvaluatedPolicy[] };
      return judgeNetworkPolicies({ mesh: read.inputs, networkPolicies: list.items ?? [] });
    },
  };
}
