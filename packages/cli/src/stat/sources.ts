/**
 * Where `weft stat` gets the proxies' metrics: the control plane gathers them from every
 * connected proxy (`GET /proxies/metrics` on its admin port). Locally the CLI calls that
 * directly; in Kubernetes through the API server's service proxy (no port-forwarding). Both go
 * through @weft/dashboard's upstreams, the one client of the control plane's admin API.
 */
import type { GatheredProxy } from '@weft/control-plane';
import { describeError, WeftError } from '@weft/core';
import { adminUpstream, kubernetesUpstream, serviceProxyBase, type Upstream } from '@weft/dashboard';
import { parsePrometheusText } from '@weft/runtime';
import type { ProxyScrape } from './golden.js';

/** The path of the control plane's gather endpoint. */
export const GATHER_PATH = '/proxies/metrics';

/** Gives the current scrapes of every proxy. */
export interface StatSource {
  /** Where it reads from, for error messages. */
  readonly description: string;
  gather(): Promise<ProxyScrape[]>;
}

/** The JSON the control plane answers `GET /proxies/metrics` with (its items are the control plane's type). */
export interface GatherResponse {
  readonly proxies: readonly GatheredProxy[];
}

function fail(where: string, why: string): never {
  throw new WeftError('UNAVAILABLE', `${where}: ${why}`);
}

/** Validates and parses a gather response; a malformed proxy's metrics make it unreachable. */
export function parseGatherResponse(body: unknown, where: string): ProxyScrape[] {
  const proxies = (body as { proxies?: unknown } | null)?.proxies;
  if (!Array.isArray(proxies)) fail(where, 'the answer has no "proxies" list');
  return proxies.map((p: unknown, i: number): ProxyScrape => {
    const item = p as Record<string, unknown>;
    for (const field of ['namespace', 'workload', 'service'] as const) {
      if (typeof item[field] !== 'string') fail(where, `proxies[${i}].${field} is not a string`);
    }
    const id = {
      namespace: item.namespace as string,
      workload: item.workload as string,
      service: item.service as string,
    };
    if (typeof item.metrics !== 'string') {
      return { ok: false, ...id, error: typeof item.error === 'string' ? item.error : 'no metrics' };
    }
    try {
      const at = typeof item.at === 'number' ? item.at : Date.now();
      return { ok: true, ...id, samples: parsePrometheusText(item.metrics), at };
    } catch (err) {
      return { ok: false, ...id, error: describeError(err) };
    }
  });
}

/** Reads the gather endpoint through `upstream` (the dashboard's client for the control plane's admin API). */
function gatherSource(upstream: Upstream, where: string): StatSource {
  return {
    description: where,
    gather: async () => parseGatherResponse(await upstream.get(GATHER_PATH), where),
  };
}

/** The control plane's admin server at `baseUrl` (local mode: http://127.0.0.1:7990). */
export function controlPlaneAdminSource(baseUrl: string): StatSource {
  return gatherSource(adminUpstream(baseUrl), new URL(GATHER_PATH, baseUrl).toString());
}

/** Options of {@link kubernetesSource}. */
export interface KubernetesSourceOptions {
  readonly kubeconfig?: string | undefined;
  readonly context?: string | undefined;
  /** Namespace of the control plane. */
  readonly controlPlaneNamespace: string;
}

/** The API server path that proxies to the control plane's gather endpoint. */
export function serviceProxyPath(controlPlaneNamespace: string): string {
  return `${serviceProxyBase(controlPlaneNamespace)}${GATHER_PATH}`;
}

/** The control plane in a cluster, through the API server's service proxy (kubeconfig credentials). */
export function kubernetesSource(options: KubernetesSourceOptions): StatSource {
  const upstream = kubernetesUpstream({
    kubeconfig: options.kubeconfig,
    context: options.context,
    meshNamespace: options.controlPlaneNamespace,
  });
  return gatherSource(
    upstream,
    `the Kubernetes API server (${serviceProxyPath(options.controlPlaneNamespace)})`,
  );
}
