/** Which updates matter: the parts of an object the mesh model reads. */
import { runsProxy } from './endpoints.js';
import type { ParsedResource } from './resource-parse.js';

/** The parts of an object the mesh reads; an update that changes none of them changes nothing. */
function meshView(p: ParsedResource): unknown {
  const { metadata, ...rest } = p.value as { metadata: Record<string, unknown> } & Record<string, unknown>;
  const meta = {
    name: metadata.name,
    namespace: metadata.namespace,
    labels: metadata.labels,
    annotations: metadata.annotations,
    creationTimestamp: metadata.creationTimestamp,
  };
  if (p.kind === 'Pod') {
    return [meta, p.value.spec.serviceAccountName, runsProxy(p.value)];
  }
  // Status is written by weft itself (and others); it never feeds the model, except a
  // Service's load balancer addresses (the gateway's, reported in Gateway status).
  const { status, ...spec } = rest;
  if (p.kind === 'Service')
    return [meta, spec, (status as { loadBalancer?: unknown } | undefined)?.loadBalancer];
  return [meta, spec];
}

export function sameMeshView(a: ParsedResource, b: ParsedResource): boolean {
  return a.kind === b.kind && JSON.stringify(meshView(a)) === JSON.stringify(meshView(b));
}
