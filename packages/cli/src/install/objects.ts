/** Kubernetes objects as plain data, their identity, and kustomize-style field paths. */

/** A Kubernetes object as parsed from YAML. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [key: string]: unknown };
  [key: string]: unknown;
}

/** `Kind/namespace/name` (namespace empty for cluster-scoped objects): unique in one install. */
export function objectKey(o: Pick<KubeObject, 'kind' | 'metadata'>): string {
  return `${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;
}

/**
 * Splits a kustomize field path: `.` separates fields, `\.` is a literal dot, and
 * `[key=value]` selects the list item whose `key` equals `value`.
 */
export function splitFieldPath(path: string): string[] {
  const parts: string[] = [];
  let current = '';
  let inBracket = false;
  for (let i = 0; i < path.length; i++) {
    const c = path[i] as string;
    if (c === '\\' && path[i + 1] === '.') {
      current += '.';
      i++;
    } else if (c === '[') {
      inBracket = true;
      current += c;
    } else if (c === ']') {
      inBracket = false;
      current += c;
    } else if (c === '.' && !inBracket) {
      parts.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  parts.push(current);
  return parts.filter((p) => p !== '');
}

function step(node: unknown, part: string): unknown {
  if (node === null || typeof node !== 'object') return undefined;
  const selector = /^\[([^=\]]+)=([^\]]*)\]$/.exec(part);
  if (selector !== null) {
    if (!Array.isArray(node)) return undefined;
    return node.find(
      (item) => (item as Record<string, unknown> | null)?.[selector[1] as string] === selector[2],
    );
  }
  if (Array.isArray(node)) return /^\d+$/.test(part) ? node[Number(part)] : undefined;
  return (node as Record<string, unknown>)[part];
}

/** Reads the value at a kustomize field path, or undefined. */
export function getField(o: object, path: string): unknown {
  let node: unknown = o;
  for (const part of splitFieldPath(path)) node = step(node, part);
  return node;
}

/** Sets the value at a kustomize field path; every parent must exist. */
export function setField(o: object, path: string, value: unknown): void {
  const parts = splitFieldPath(path);
  const last = parts.pop();
  let node: unknown = o;
  for (const part of parts) node = step(node, part);
  if (last === undefined || node === null || typeof node !== 'object' || Array.isArray(node)) {
    throw new Error(`field path ${path} does not lead to a mapping`);
  }
  (node as Record<string, unknown>)[last] = structuredClone(value);
}

/** The order `kubectl apply -f` needs: namespaces and CRDs first, webhooks last. */
const KIND_ORDER = [
  'Namespace',
  'CustomResourceDefinition',
  'ServiceAccount',
  'ClusterRole',
  'Role',
  'ClusterRoleBinding',
  'RoleBinding',
  'ConfigMap',
  'Secret',
  'Service',
  'Deployment',
  'DaemonSet',
  'StatefulSet',
  'PodDisruptionBudget',
];
const LAST = ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'];

function rank(kind: string): number {
  const i = KIND_ORDER.indexOf(kind);
  if (i >= 0) return i;
  const j = LAST.indexOf(kind);
  return j >= 0 ? 1000 + j : 500;
}

/** Sorts objects for applying: by kind (as above), then namespace and name. */
export function sortForApply(objects: readonly KubeObject[]): KubeObject[] {
  return [...objects].sort((a, b) => rank(a.kind) - rank(b.kind) || objectKey(a).localeCompare(objectKey(b)));
}
