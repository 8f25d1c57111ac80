/**
 * Renders a kustomization the way `kubectl kustomize` does, for the subset weft's own install/
 * folder uses: resources (files and folders), secretGenerator with generatorOptions, replacements
 * and inline JSON 6902 patches. Any other field is an error, so the manifests cannot grow a
 * feature that `weft install` would silently ignore.
 */
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import jsonpatch, { type Operation } from 'fast-json-patch';
import { parseAllDocuments } from 'yaml';
import { getField, type KubeObject, objectKey, setField } from './objects.js';

/** Reads the files a kustomization names; `weft install` overlays generated certificates. */
export interface FileReader {
  /** The file's bytes; throws when it cannot be read (e.g. ENOENT). */
  read(path: string): Buffer;
}

/**
 * The file names kustomize recognises, in its order. crds/ uses `Kustomization`: kubectl's
 * `apply -f DIR` reads only *.yaml, *.yml and *.json, so the folder also applies with `-f`.
 */
export const KUSTOMIZATION_FILE_NAMES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'] as const;

export const diskReader: FileReader = { read: (path) => readFileSync(path) };

/** A kustomization that cannot be rendered: names the file and what is wrong. */
export class KustomizeError extends Error {
  readonly code = 'KUSTOMIZE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KustomizeError';
  }
}

const SUPPORTED = new Set([
  'apiVersion',
  'kind',
  'resources',
  'generatorOptions',
  'secretGenerator',
  'replacements',
  'patches',
]);

interface GeneratorOptions {
  disableNameSuffixHash?: boolean;
  labels?: Record<string, string>;
}

interface SecretGeneratorEntry {
  name: string;
  namespace?: string;
  type?: string;
  files?: string[];
}

interface Replacement {
  source: { kind?: string; name?: string; namespace?: string; fieldPath?: string };
  targets: { select: { kind?: string; name?: string; namespace?: string }; fieldPaths: string[] }[];
}

interface PatchEntry {
  target?: { group?: string; version?: string; kind?: string; name?: string; namespace?: string };
  patch?: string;
  path?: string;
}

/** Renders the kustomization in `dir` (a folder holding kustomization.yaml) into objects. */
export function renderKustomization(dir: string, reader: FileReader = diskReader): KubeObject[] {
  return render(resolve(dir), reader, []);
}

function render(dir: string, reader: FileReader, stack: readonly string[]): KubeObject[] {
  if (stack.includes(dir)) throw new KustomizeError(`kustomization cycle: ${[...stack, dir].join(' -> ')}`);
  const file = kustomizationFile(dir, reader);
  const k = readYamlObjects(file, reader)[0];
  if (k === undefined) throw new KustomizeError(`${file}: empty kustomization`);
  for (const key of Object.keys(k)) {
    if (!SUPPORTED.has(key))
      throw new KustomizeError(`${file}: field "${key}" is not supported by weft install`);
  }
  const objects: KubeObject[] = [];
  for (const entry of asArray<string>(k.resources, `${file}: resources`)) {
    const path = resolve(dir, entry);
    if (isDirectory(path)) objects.push(...render(path, reader, [...stack, dir]));
    else objects.push(...readYamlObjects(path, reader));
  }
  const options = (k.generatorOptions ?? {}) as GeneratorOptions;
  for (const gen of asArray<SecretGeneratorEntry>(k.secretGenerator, `${file}: secretGenerator`)) {
    objects.push(generateSecret(dir, gen, options, reader, file));
  }
  for (const r of asArray<Replacement>(k.replacements, `${file}: replacements`))
    applyReplacement(objects, r, file);
  for (const p of asArray<PatchEntry>(k.patches, `${file}: patches`)) applyPatch(objects, p, file);
  checkUnique(objects, file);
  return objects;
}

/** The kustomization file of `dir` (the first recognised name that reads), or an error naming them. */
function kustomizationFile(dir: string, reader: FileReader): string {
  for (const name of KUSTOMIZATION_FILE_NAMES) {
    const path = join(dir, name);
    try {
      reader.read(path);
      return path;
    } catch {
      // try the next name
    }
  }
  throw new KustomizeError(`${dir}: no ${KUSTOMIZATION_FILE_NAMES.join(', ')} in this folder`);
}

/** Parses every YAML document in a file; empty documents are skipped. */
export function readYamlObjects(path: string, reader: FileReader = diskReader): KubeObject[] {
  let text: string;
  try {
    text = reader.read(path).toString('utf8');
  } catch (err) {
    throw new KustomizeError(`cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  const out: KubeObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new KustomizeError(`${path}: ${doc.errors[0]?.message}`);
    const value: unknown = doc.toJS({ maxAliasCount: 1000 });
    if (value === null || value === undefined) continue;
    if (typeof value !== 'object' || Array.isArray(value))
      throw new KustomizeError(`${path}: a document is not a mapping`);
    // Aliases resolve to shared objects (structuredClone would keep them shared); a JSON round
    // trip copies each use, so that a patch changes one place only.
    out.push(JSON.parse(JSON.stringify(value)) as KubeObject);
  }
  return out;
}

function generateSecret(
  dir: string,
  gen: SecretGeneratorEntry,
  options: GeneratorOptions,
  reader: FileReader,
  file: string,
): KubeObject {
  if (options.disableNameSuffixHash !== true) {
    throw new KustomizeError(`${file}: weft install needs generatorOptions.disableNameSuffixHash: true`);
  }
  const data: Record<string, string> = {};
  for (const spec of gen.files ?? []) {
    const eq = spec.indexOf('=');
    const key = eq < 0 ? spec.slice(spec.lastIndexOf('/') + 1) : spec.slice(0, eq);
    const path = resolve(dir, eq < 0 ? spec : spec.slice(eq + 1));
    data[key] = kustomizeBase64(reader.read(path));
  }
  const metadata: KubeObject['metadata'] = { name: gen.name };
  if (options.labels !== undefined) metadata.labels = { ...options.labels };
  if (gen.namespace !== undefined) metadata.namespace = gen.namespace;
  return { apiVersion: 'v1', kind: 'Secret', metadata, type: gen.type ?? 'Opaque', data };
}

/**
 * Base64 as kustomize writes Secret data: lines of 70 characters, each ending in a newline once
 * there is more than one line (the API server's decoder skips the newlines). Matching it keeps
 * `weft install` and `kubectl apply -k` byte-identical.
 */
export function kustomizeBase64(bytes: Buffer): string {
  const encoded = bytes.toString('base64');
  const lineLength = 70;
  if (Math.floor(encoded.length / lineLength) + 1 <= 1) return encoded;
  let out = '';
  for (let i = 0; i < encoded.length; i += lineLength) out += `${encoded.slice(i, i + lineLength)}\n`;
  return out;
}

function applyReplacement(objects: KubeObject[], r: Replacement, file: string): void {
  const sources = objects.filter((o) => selects(o, r.source));
  if (sources.length !== 1) {
    throw new KustomizeError(
      `${file}: replacement source ${JSON.stringify(r.source)} matched ${sources.length} objects`,
    );
  }
  const value = getField(sources[0] as KubeObject, r.source.fieldPath ?? 'metadata.name');
  if (value === undefined)
    throw new KustomizeError(`${file}: replacement source field ${r.source.fieldPath} is absent`);
  for (const target of r.targets) {
    const matched = objects.filter((o) => selects(o, target.select));
    if (matched.length === 0)
      throw new KustomizeError(
        `${file}: replacement target ${JSON.stringify(target.select)} matched nothing`,
      );
    for (const o of matched) for (const path of target.fieldPaths) setField(o, path, value);
  }
}

function applyPatch(objects: KubeObject[], p: PatchEntry, file: string): void {
  if (p.patch === undefined || p.path !== undefined || p.target === undefined) {
    throw new KustomizeError(`${file}: weft install supports only inline JSON 6902 patches with a target`);
  }
  const ops = parseOps(p.patch, file);
  const target = p.target;
  const matched = objects.filter(
    (o) =>
      selects(o, target) &&
      (target.group === undefined || groupOf(o) === target.group) &&
      (target.version === undefined || versionOf(o) === target.version),
  );
  if (matched.length === 0)
    throw new KustomizeError(`${file}: patch target ${JSON.stringify(target)} matched nothing`);
  for (const o of matched) {
    try {
      jsonpatch.applyPatch(o, structuredClone(ops), true, true);
    } catch (err) {
      throw new KustomizeError(`${file}: patch for ${objectKey(o)} failed: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
}

function parseOps(text: string, file: string): Operation[] {
  const docs = parseAllDocuments(text);
  const value: unknown = docs[0]?.toJS();
  if (!Array.isArray(value))
    throw new KustomizeError(`${file}: a patch must be a list of JSON 6902 operations`);
  return value as Operation[];
}

function selects(o: KubeObject, s: { kind?: string; name?: string; namespace?: string }): boolean {
  return (
    (s.kind === undefined || o.kind === s.kind) &&
    (s.name === undefined || o.metadata?.name === s.name) &&
    (s.namespace === undefined || o.metadata?.namespace === s.namespace)
  );
}

function groupOf(o: KubeObject): string {
  const slash = o.apiVersion.indexOf('/');
  return slash < 0 ? '' : o.apiVersion.slice(0, slash);
}

function versionOf(o: KubeObject): string {
  return o.apiVersion.slice(o.apiVersion.indexOf('/') + 1);
}

function checkUnique(objects: readonly KubeObject[], file: string): void {
  const seen = new Set<string>();
  for (const o of objects) {
    const key = objectKey(o);
    if (seen.has(key)) throw new KustomizeError(`${file}: ${key} is defined twice`);
    seen.add(key);
  }
}

function asArray<T>(value: unknown, what: string): T[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new KustomizeError(`${what} must be a list`);
  return value as T[];
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
