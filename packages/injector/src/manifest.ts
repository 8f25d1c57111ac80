/** Offline injection (`weft inject`): finds the pod templates in workload manifests and patches them. */
import jsonPatch from 'fast-json-patch';
import type { DecideOptions } from './decide.js';
import { type InjectResult, injectPod } from './inject-pod.js';
import type { InjectorConfig } from './settings.js';

/** Where each workload kind keeps its pod template. */
const TEMPLATE_PATHS: Readonly<Record<string, readonly string[]>> = {
  Pod: [],
  Deployment: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  ReplicationController: ['spec', 'template'],
  Job: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
};

/** What happened to one workload of a manifest. */
export interface ManifestEntry {
  /** `Deployment/web` (the name may be empty for a generateName-only object). */
  readonly resource: string;
  readonly namespace: string;
  readonly result: InjectResult;
}

/** The manifest after injection: `changed` is false when the object was returned as is. */
export interface ManifestResult {
  readonly object: unknown;
  readonly changed: boolean;
  readonly entries: readonly ManifestEntry[];
}

export interface InjectManifestOptions extends DecideOptions {
  /** The namespace of objects that name none (kubectl's current namespace). */
  readonly defaultNamespace: string;
  /** The annotations of every namespace, offline; empty by default. */
  readonly namespaceAnnotations?: Readonly<Record<string, string>>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function getPath(root: unknown, path: readonly string[]): unknown {
  let node = root;
  for (const key of path) {
    if (!isRecord(node)) return undefined;
    node = node[key];
  }
  return node;
}

/**
 * Injects every pod template of `object` (a workload, or a `List` of them, nested lists
 * included). Objects of other kinds, and templates that are not injected, are returned as is.
 * The input is never mutated.
 */
export function injectManifest(
  object: unknown,
  config: InjectorConfig,
  options: InjectManifestOptions,
): ManifestResult {
  if (!isRecord(object) || typeof object.kind !== 'string') return { object, changed: false, entries: [] };
  if (object.kind === 'List' || object.kind.endsWith('List')) {
    if (!Array.isArray(object.items)) return { object, changed: false, entries: [] };
    const results = object.items.map((item) => injectManifest(item, config, options));
    if (!results.some((r) => r.changed))
      return { object, changed: false, entries: results.flatMap((r) => r.entries) };
    return {
      object: { ...object, items: results.map((r) => r.object) },
      changed: true,
      entries: results.flatMap((r) => r.entries),
    };
  }
  const templatePath = TEMPLATE_PATHS[object.kind];
  if (templatePath === undefined) return { object, changed: false, entries: [] };
  const template = getPath(object, templatePath);
  const meta = isRecord(object.metadata) ? object.metadata : {};
  const namespace =
    typeof meta.namespace === 'string' && meta.namespace !== '' ? meta.namespace : options.defaultNamespace;
  const name =
    typeof meta.name === 'string'
      ? meta.name
      : typeof meta.generateName === 'string'
        ? `${meta.generateName}*`
        : '';
  const result = injectPod(
    template,
    { name: namespace, annotations: options.namespaceAnnotations ?? {} },
    config,
    { requested: options.requested },
  );
  const entry: ManifestEntry = { resource: `${object.kind}/${name}`, namespace, result };
  if (result.type !== 'inject') return { object, changed: false, entries: [entry] };

  const copy = jsonPatch.deepClone(object) as Record<string, unknown>;
  const target = templatePath.length === 0 ? copy : (getPath(copy, templatePath) as Record<string, unknown>);
  jsonPatch.applyPatch(target, [...result.patch], true, true);
  return { object: copy, changed: true, entries: [entry] };
}
