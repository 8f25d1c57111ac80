/**
 * Where `weft stat` gets the proxies' metrics: the control plane gathers them from every
 * connected proxy (`GET /proxies/metrics` on its admin port). Locally the CLI calls that
 * directly; in Kubernetes through the API server's service proxy (no port-forwarding).
 */

import { request as httpsRequest } from 'node:https';
import type { GatheredProxy } from '@weft/control-plane';
import { describeError, WeftError } from '@weft/core';
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

function fail(where: string, why: string): never {
  throw new WeftError('UNAVAILABLE', `${where}: ${why}`);
}

/**
 * Validates and parses the control plane's answer to `GET /proxies/metrics`
 * (`{proxies: GatheredProxy[]}`); a malformed proxy's metrics make it unreachable.
 */
export function parseGatherResponse(body: unknown, where: string): ProxyScrape[] {
  const proxies = (body as { proxies?: unknown } | null)?.proxies;
  if (!Array.isArray(proxies)) fail(where, 'the answer has no "proxies" list');
  return proxies.map((p: unknown, i: number): ProxyScrape => {
    const item = p as { readonly [K in keyof GatheredProxy]?: unknown };
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

/** The control plane's admin server at `baseUrl` (local mode: http://127.0.0.1:7990). */
export function controlPlaneAdminSource(baseUrl: string): StatSource {
  const url = new URL(GATHER_PATH, baseUrl).toString();
  return {
    description: url,
    async gather() {
      let res: Response;
      try {
        res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
      } catch (err) {
        const cause = (err as { cause?: unknown }).cause;
        fail(`cannot reach the control plane admin at ${url}`, describeError(cause ?? err));
      }
      if (!res.ok) fail(url, `HTTP ${res.status}: ${(await res.text()).trim()}`);
      return parseGatherResponse(await res.json(), url);
    },
  };
}

/** Options of {@link kubernetesSource}. */
export interface KubernetesSourceOptions {
  readonly kubeconfig?: string | undefined;
  readonly context?: string | undefined;
  /** Namespace of the control plane. */
  readonly controlPlaneNamespace: string;
}

/** The API server path that proxies to the control plane's admin port. */
export function serviceProxyPath(controlPlaneNamespace: string): string {
  return `/api/v1/namespaces/${encodeURIComponent(controlPlaneNamespace)}/services/weft-control-plane:admin-http/proxy${GATHER_PATH}`;
}

/** The control plane in a cluster, through the API server's service proxy (kubeconfig credentials). */
export function kubernetesSource(options: KubernetesSourceOptions): StatSource {
  const path = serviceProxyPath(options.controlPlaneNamespace);
  return {
    description: `the Kubernetes API server (${path})`,
    async gather() {
      const { KubeConfig } = await import('@kubernetes/client-node');
      const kc = new KubeConfig();
      if (options.kubeconfig !== undefined) kc.loadFromFile(options.kubeconfig);
      else kc.loadFromDefault();
      if (options.context !== undefined) kc.setCurrentContext(options.context);
      const cluster = kc.getCurrentCluster();
      if (cluster === null) fail('kubeconfig', 'no current cluster');
      const url = new URL(path, cluster.server);
      const requestOptions: import('node:https').RequestOptions = { method: 'GET', headers: {} };
      await kc.applyToHTTPSOptions(requestOptions);
      const body = await new Promise<string>((resolve, reject) => {
        const req = httpsRequest(url, requestOptions, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => {
            text += c;
          });
          res.on('end', () =>
            (res.statusCode ?? 0) >= 300
              ? reject(new WeftError('UNAVAILABLE', `${url}: HTTP ${res.statusCode}: ${text.trim()}`))
              : resolve(text),
          );
        });
        req.setTimeout(10_000, () => req.destroy(new Error('timed out after 10 s')));
        req.on('error', (err) =>
          reject(new WeftError('UNAVAILABLE', `${url}: ${err.message}`, { cause: err })),
        );
        req.end();
      });
      return parseGatherResponse(JSON.parse(body), url.toString());
    },
  };
}
