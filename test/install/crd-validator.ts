// Validates resources against CRD schemas the way the API server would (with kubectl's default
// strict field validation): ajv for the OpenAPI part, with unknown fields rejected, the
// x-kubernetes-* extensions implemented as ajv keywords, and CEL rules evaluated by cel-js.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseCel } from '@marcbachmann/cel-js';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { parseAllDocuments } from 'yaml';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const CRDS_DIR = join(REPO, 'crds');

type Schema = Record<string, unknown>;

export interface Crd {
  file: string;
  metadata: { name: string };
  spec: {
    group: string;
    scope: string;
    names: { kind: string; plural: string; singular: string; listKind: string; shortNames?: string[] };
    conversion?: { strategy: string };
    versions: {
      name: string;
      served: boolean;
      storage: boolean;
      subresources?: { status?: object };
      additionalPrinterColumns?: { name: string; type: string; jsonPath: string }[];
      schema: { openAPIV3Schema: Schema };
    }[];
  };
}

/** Every CRD in crds/. */
export function loadCrds(): Crd[] {
  const out: Crd[] = [];
  for (const f of readdirSync(CRDS_DIR).filter((n) => n.endsWith('.yaml') && n !== 'kustomization.yaml')) {
    for (const doc of parseAllDocuments(readFileSync(join(CRDS_DIR, f), 'utf8'))) {
      const crd = doc.toJS({ maxAliasCount: 1000 }) as Crd;
      out.push({ ...crd, file: f });
    }
  }
  return out;
}

/** Integers become BigInt, as CEL's int type expects. */
function toCel(value: unknown): unknown {
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  if (Array.isArray(value)) return value.map(toCel);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toCel(v)]));
  }
  return value;
}

/** Adds additionalProperties: false where Kubernetes would prune (strict field validation rejects). */
function strictify(node: Schema, path: string): Schema {
  const out: Schema = { ...node };
  if (node.properties !== undefined && node['x-kubernetes-preserve-unknown-fields'] !== true) {
    out.additionalProperties = false;
    out.properties = Object.fromEntries(
      Object.entries(node.properties as Record<string, Schema>).map(([k, v]) => [
        k,
        strictify(v, `${path}.${k}`),
      ]),
    );
  }
  if (node.items !== undefined) out.items = strictify(node.items as Schema, `${path}[]`);
  return out;
}

function newAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false });
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => n >= -(2 ** 31) && n < 2 ** 31 });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isSafeInteger(n) });
  ajv.addFormat('date-time', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
  ajv.addKeyword({ keyword: 'x-kubernetes-preserve-unknown-fields' });
  ajv.addKeyword({ keyword: 'x-kubernetes-list-map-keys' });
  ajv.addKeyword({ keyword: 'x-kubernetes-map-type' });
  ajv.addKeyword({
    keyword: 'x-kubernetes-int-or-string',
    validate: (on: boolean, data: unknown) => !on || typeof data === 'string' || Number.isInteger(data),
    errors: false,
  });
  ajv.addKeyword({
    keyword: 'x-kubernetes-list-type',
    validate: function listType(type: string, data: unknown, parent?: Schema) {
      if (!Array.isArray(data) || type === 'atomic') return true;
      const keys = (parent?.['x-kubernetes-list-map-keys'] as string[] | undefined) ?? [];
      const ids = data.map((item) =>
        type === 'set' ? JSON.stringify(item) : JSON.stringify(keys.map((k) => (item as Schema)[k])),
      );
      return new Set(ids).size === ids.length;
    },
    errors: false,
  });
  const compiled = new Map<string, ReturnType<typeof parseCel>>();
  ajv.addKeyword({
    keyword: 'x-kubernetes-validations',
    validate: function cel(rules: { rule: string; message: string }[], data: unknown): boolean {
      const self = toCel(data);
      const failed: ErrorObject[] = [];
      for (const r of rules) {
        let fn = compiled.get(r.rule);
        if (fn === undefined) {
          fn = parseCel(r.rule);
          compiled.set(r.rule, fn);
        }
        let ok: boolean;
        try {
          ok = fn({ self }) === true;
        } catch {
          ok = false;
        }
        if (!ok) {
          failed.push({
            keyword: 'x-kubernetes-validations',
            instancePath: '',
            schemaPath: '',
            params: {},
            message: r.message,
          });
        }
      }
      (cel as unknown as { errors: ErrorObject[] }).errors = failed;
      return failed.length === 0;
    },
    errors: true,
  });
  return ajv;
}

const ajv = newAjv();
const validators = new Map<string, ValidateFunction>();

/** The validator for `apiVersion`+`kind`, or undefined when no CRD in crds/ serves it. */
export function validatorFor(apiVersion: string, kind: string): ValidateFunction | undefined {
  const key = `${apiVersion}/${kind}`;
  const cached = validators.get(key);
  if (cached !== undefined) return cached;
  const [group, version] = apiVersion.split('/');
  for (const crd of loadCrds()) {
    if (crd.spec.group !== group || crd.spec.names.kind !== kind) continue;
    const v = crd.spec.versions.find((x) => x.name === version && x.served);
    if (v === undefined) return undefined;
    const fn = ajv.compile(strictify(v.schema.openAPIV3Schema, ''));
    validators.set(key, fn);
    return fn;
  }
  return undefined;
}

/** Validates one resource; returns its errors as readable lines (empty when valid). */
export function validateResource(resource: { apiVersion: string; kind: string }): string[] {
  const fn = validatorFor(resource.apiVersion, resource.kind);
  if (fn === undefined) return [`no served CRD version for ${resource.apiVersion} ${resource.kind}`];
  if (fn(resource)) return [];
  return (fn.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? e.keyword}`);
}
