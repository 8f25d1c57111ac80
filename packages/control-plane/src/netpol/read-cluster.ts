/**
 * Reads the generator's inputs from a cluster once (for `weft netpol generate`): Namespaces,
 * Pods, Services and AuthorizationPolicies (all namespaces: peers may live anywhere), and the
 * mesh config from the `weft-mesh-config` ConfigMap. Objects that do not parse are skipped and
 * reported, never fatal.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import {
  type AuthorizationPolicyResource,
  authorizationPolicySchema,
  type MeshConfig,
  meshConfigSchema,
  type NamespaceResource,
  namespaceResourceSchema,
  type PodResource,
  podResourceSchema,
  type ServiceResource,
  serviceResourceSchema,
} from '@weft/api';
import { describeError } from '@weft/core';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { KubeApiError, kubeRequest } from '../kubernetes/kube-client.js';
import type { NetpolInputs } from './compile.js';

/** Items per list page. */
const PAGE = 500;

export interface ReadClusterOptions {
  /** The mesh's namespace: the control plane, the injector and `weft-mesh-config` live there. */
  readonly meshNamespace: string;
  readonly scope?: readonly string[];
  readonly timeoutMs?: number;
}

export interface ClusterRead {
  readonly inputs: NetpolInputs;
  /** Objects skipped and defaults assumed, one line each. */
  readonly warnings: readonly string[];
}

interface ListBody {
  metadata?: { continue?: string };
  items?: Record<string, unknown>[];
}

async function listAll(kc: KubeConfig, path: string, timeoutMs: number): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  let token: string | undefined;
  do {
    const query = new URLSearchParams({ limit: String(PAGE) });
    if (token !== undefined) query.set('continue', token);
    const body = (await kubeRequest(kc, { method: 'GET', path: `${path}?${query}`, timeoutMs })) as ListBody;
    out.push(...(body.items ?? []));
    token = body.metadata?.continue || undefined;
  } while (token !== undefined);
  return out;
}

function parseEach<S extends z.ZodType>(
  schema: S,
  apiVersion: string,
  kind: string,
  items: readonly Record<string, unknown>[],
  warnings: string[],
): z.output<S>[] {
  const out: z.output<S>[] = [];
  for (const item of items) {
    const parsed = schema.safeParse({ apiVersion, kind, ...item });
    if (parsed.success) {
      out.push(parsed.data);
      continue;
    }
    const meta = (item.metadata ?? {}) as { namespace?: string; name?: string };
    const issue = parsed.error.issues[0];
    warnings.push(
      `skipped ${kind} ${meta.namespace ?? ''}/${meta.name ?? '?'}: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim(),
    );
  }
  return out;
}

async function readMeshConfig(
  kc: KubeConfig,
  namespace: string,
  timeoutMs: number,
  warnings: string[],
): Promise<MeshConfig> {
  const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps/weft-mesh-config`;
  try {
    const cm = (await kubeRequest(kc, { method: 'GET', path, timeoutMs })) as {
      data?: Record<string, string>;
    };
    return meshConfigSchema.parse(parseYaml(cm.data?.['config.yaml'] ?? '') ?? {});
  } catch (err) {
    if (err instanceof KubeApiError && err.statusCode === 404) {
      warnings.push(`no ConfigMap ${namespace}/weft-mesh-config: the mesh config defaults assumed`);
      return meshConfigSchema.parse({});
    }
    throw new Error(`mesh config ${namespace}/weft-mesh-config: ${describeError(err)}`, { cause: err });
  }
}

/** Reads everything `compileNetworkPolicies` needs; throws when the API server cannot be read. */
export async function readNetpolInputs(kc: KubeConfig, options: ReadClusterOptions): Promise<ClusterRead> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const warnings: string[] = [];
  const [mesh, namespaces, pods, services, policies] = await Promise.all([
    readMeshConfig(kc, options.meshNamespace, timeoutMs, warnings),
    listAll(kc, '/api/v1/namespaces', timeoutMs),
    listAll(kc, '/api/v1/pods', timeoutMs),
    listAll(kc, '/api/v1/services', timeoutMs),
    listAll(kc, '/apis/weft.dev/v1alpha1/authorizationpolicies', timeoutMs).catch((err: unknown) => {
      // The CRD is not installed: no AuthorizationPolicies, so the mesh defaults decide.
      if (err instanceof KubeApiError && err.statusCode === 404) {
        warnings.push('the AuthorizationPolicy CRD is not installed: only the mesh defaults apply');
        return [];
      }
      throw err;
    }),
  ]);
  const inputs: NetpolInputs = {
    mesh,
    namespaces: parseEach(
      namespaceResourceSchema,
      'v1',
      'Namespace',
      namespaces,
      warnings,
    ) as NamespaceResource[],
    pods: parseEach(podResourceSchema, 'v1', 'Pod', pods, warnings) as PodResource[],
    services: parseEach(serviceResourceSchema, 'v1', 'Service', services, warnings) as ServiceResource[],
    policies: parseEach(
      authorizationPolicySchema,
      'weft.dev/v1alpha1',
      'AuthorizationPolicy',
      policies,
      warnings,
    ) as AuthorizationPolicyResource[],
    controlPlaneNamespace: options.meshNamespace,
    ...(options.scope === undefined ? {} : { scope: options.scope }),
  };
  return { inputs, warnings };
}
