/**
 * Where `weft dashboard` (and `weft stat`) read the mesh: the control plane's admin API, directly
 * on its admin port (local mode, found from `.weft/`) or through the Kubernetes API server's
 * service proxy with the user's kubeconfig (nothing installed in the cluster, no port-forward).
 */
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { describeError, WeftError } from '@weft/core';

/** The control plane's dashboard API, wherever it is. */
export interface Upstream {
  /** For messages: where it reads from. */
  readonly description: string;
  /** GET a path under the control plane's admin server (`/dashboard/v1/snapshot`). */
  get(path: string): Promise<unknown>;
}

/** Largest answer read from the control plane (a snapshot of a big mesh is a few MB). */
export const MAX_UPSTREAM_BYTES = 32 * 1024 * 1024;
const TIMEOUT_MS = 10_000;

function fail(where: string, why: string): never {
  throw new WeftError('UNAVAILABLE', `${where}: ${why}`);
}

/** The control plane's admin server at `baseUrl` (local mode: the address `weft up` recorded). */
export function adminUpstream(baseUrl: string): Upstream {
  return {
    description: baseUrl,
    async get(path) {
      const url = new URL(path, baseUrl).toString();
      let res: Response;
      try {
        res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
      } catch (err) {
        const cause = (err as { cause?: unknown }).cause;
        fail(`cannot reach the control plane admin at ${url}`, describeError(cause ?? err));
      }
      const text = await res.text();
      if (text.length > MAX_UPSTREAM_BYTES) fail(url, `answer larger than ${MAX_UPSTREAM_BYTES} bytes`);
      if (!res.ok) fail(url, `HTTP ${res.status}: ${text.trim().slice(0, 200)}`);
      return JSON.parse(text) as unknown;
    },
  };
}

export interface KubernetesUpstreamOptions {
  readonly kubeconfig?: string | undefined;
  readonly context?: string | undefined;
  /** The mesh's namespace, where the control plane's Service is (weft-system). */
  readonly meshNamespace: string;
}

/** The API server path that proxies to the control plane's admin port. */
export function serviceProxyBase(meshNamespace: string): string {
  return `/api/v1/namespaces/${encodeURIComponent(meshNamespace)}/services/weft-control-plane:admin-http/proxy`;
}

/** The control plane in a cluster, through the API server's service proxy (kubeconfig credentials). */
export function kubernetesUpstream(options: KubernetesUpstreamOptions): Upstream {
  const base = serviceProxyBase(options.meshNamespace);
  let prepared: Promise<{ server: string; request: RequestOptions }> | undefined;
  const prepare = async () => {
    const { KubeConfig } = await import('@kubernetes/client-node');
    const kc = new KubeConfig();
    if (options.kubeconfig !== undefined) kc.loadFromFile(options.kubeconfig);
    else kc.loadFromDefault();
    if (options.context !== undefined) kc.setCurrentContext(options.context);
    const cluster = kc.getCurrentCluster();
    if (cluster === null) fail('kubeconfig', 'no current cluster');
    const request: RequestOptions = { method: 'GET', headers: {} };
    await kc.applyToHTTPSOptions(request);
    return { server: cluster.server, request };
  };
  return {
    description: `the Kubernetes API server (${base})`,
    async get(path) {
      prepared ??= prepare();
      const { server, request } = await prepared;
      const url = new URL(`${base}${path}`, server);
      const body = await new Promise<string>((resolve, reject) => {
        const req = httpsRequest(url, request, (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > MAX_UPSTREAM_BYTES)
              req.destroy(new Error(`answer larger than ${MAX_UPSTREAM_BYTES} bytes`));
            else chunks.push(c);
          });
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if ((res.statusCode ?? 0) >= 300)
              reject(
                new WeftError('UNAVAILABLE', `${url}: HTTP ${res.statusCode}: ${text.trim().slice(0, 200)}`),
              );
            else resolve(text);
          });
        });
        req.setTimeout(TIMEOUT_MS, () => req.destroy(new Error(`timed out after ${TIMEOUT_MS / 1000} s`)));
        // The request's credentials are never part of the message.
        req.on('error', (err) =>
          reject(new WeftError('UNAVAILABLE', `${url}: ${err.message}`, { cause: err })),
        );
        req.end();
      });
      return JSON.parse(body) as unknown;
    },
  };
}
