// Structural-schema rules for CustomResourceDefinition v1 (what the API server enforces when a
// CRD is created), written out so that a CRD that `kubectl apply` would reject fails a test here.
// https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#specifying-a-structural-schema

type Schema = Record<string, unknown>;

const JUNCTORS = ['allOf', 'anyOf', 'oneOf', 'not'] as const;
const TYPES = new Set(['object', 'array', 'string', 'integer', 'number', 'boolean']);
/** Keywords a v1 CRD schema may use (anything else is rejected by the API server). */
const ALLOWED = new Set([
  'type',
  'format',
  'title',
  'description',
  'default',
  'maximum',
  'exclusiveMaximum',
  'minimum',
  'exclusiveMinimum',
  'maxLength',
  'minLength',
  'pattern',
  'maxItems',
  'minItems',
  'uniqueItems',
  'multipleOf',
  'enum',
  'maxProperties',
  'minProperties',
  'required',
  'items',
  'allOf',
  'oneOf',
  'anyOf',
  'not',
  'properties',
  'additionalProperties',
  'nullable',
  'example',
  'externalDocs',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-embedded-resource',
  'x-kubernetes-int-or-string',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-list-type',
  'x-kubernetes-map-type',
  'x-kubernetes-validations',
]);
/** Keywords forbidden inside logical junctors (value validations only there). */
const FORBIDDEN_IN_JUNCTOR = ['description', 'type', 'default', 'additionalProperties', 'nullable'];

/** Returns every violation, each naming the JSON path of the node. Empty means structural. */
export function structuralViolations(root: Schema): string[] {
  const out: string[] = [];
  if (root.type !== 'object') out.push('(root): type must be object');
  walk(root, '', out, { inJunctor: false, isRoot: true });
  return out;
}

function walk(node: Schema, path: string, out: string[], ctx: { inJunctor: boolean; isRoot: boolean }): void {
  const at = path === '' ? '(root)' : path;
  for (const key of Object.keys(node)) {
    if (!ALLOWED.has(key)) out.push(`${at}: keyword "${key}" is not allowed in a CRD schema`);
  }
  if (node.uniqueItems === true)
    out.push(`${at}: uniqueItems: true is forbidden (use x-kubernetes-list-type: set)`);
  if (node.additionalProperties === false) out.push(`${at}: additionalProperties: false is forbidden`);
  if (node.properties !== undefined && node.additionalProperties !== undefined) {
    out.push(`${at}: properties and additionalProperties are mutually exclusive`);
  }
  if (node['x-kubernetes-preserve-unknown-fields'] === false) {
    out.push(`${at}: x-kubernetes-preserve-unknown-fields must be true or absent`);
  }
  if (typeof node.pattern === 'string' && !isRe2Compatible(node.pattern)) {
    out.push(`${at}: pattern ${node.pattern} uses lookaround or backreferences (not RE2)`);
  }
  const intOrString = node['x-kubernetes-int-or-string'] === true;
  if (!ctx.inJunctor) {
    const typed = typeof node.type === 'string' && TYPES.has(node.type);
    const exempt = intOrString || node['x-kubernetes-preserve-unknown-fields'] === true;
    if (!typed && !exempt) out.push(`${at}: type is missing`);
    if (intOrString && node.type !== undefined)
      out.push(`${at}: x-kubernetes-int-or-string must not set type`);
  } else {
    for (const k of FORBIDDEN_IN_JUNCTOR) {
      if (node[k] !== undefined) out.push(`${at}: "${k}" is not allowed inside allOf/anyOf/oneOf/not`);
    }
  }
  if (node.type === 'array' && node.items === undefined) out.push(`${at}: an array needs items`);
  if (node.items !== undefined && (Array.isArray(node.items) || typeof node.items !== 'object')) {
    out.push(`${at}: items must be one schema`);
  }
  if (node.type === 'object' && node.properties === undefined && node.additionalProperties === undefined) {
    const isMetadata = path.endsWith('.metadata') && path.split('.').length === 2;
    const preserve = node['x-kubernetes-preserve-unknown-fields'] === true;
    if (!isMetadata && !preserve && !ctx.isRoot) {
      out.push(
        `${at}: an object without properties prunes every field (add properties or preserve-unknown-fields)`,
      );
    }
  }
  if (node['x-kubernetes-list-type'] === 'map') {
    const keys = node['x-kubernetes-list-map-keys'];
    const items = node.items as Schema | undefined;
    if (!Array.isArray(keys) || keys.length === 0)
      out.push(`${at}: list-type map needs x-kubernetes-list-map-keys`);
    else {
      for (const k of keys) {
        const required = (items?.required as string[] | undefined) ?? [];
        if (!required.includes(k)) out.push(`${at}: list-map key ${k} must be required in items`);
      }
    }
  }
  if (path === '.metadata') {
    const props = (node.properties ?? {}) as Record<string, unknown>;
    for (const k of Object.keys(props)) {
      if (k !== 'name' && k !== 'generateName')
        out.push(`${at}: only metadata.name and generateName may be restricted`);
    }
  }
  const validations = node['x-kubernetes-validations'];
  if (validations !== undefined) {
    if (!Array.isArray(validations)) out.push(`${at}: x-kubernetes-validations must be a list`);
    else {
      for (const v of validations as Record<string, unknown>[]) {
        if (typeof v.rule !== 'string' || v.rule === '') out.push(`${at}: a validation needs a rule`);
        if (typeof v.message !== 'string' || v.message === '')
          out.push(`${at}: a validation needs a message`);
      }
    }
  }
  const props = node.properties as Record<string, Schema> | undefined;
  if (props !== undefined) {
    for (const [k, v] of Object.entries(props))
      walk(v, `${path}.${k}`, out, { inJunctor: ctx.inJunctor, isRoot: false });
  }
  if (node.additionalProperties !== undefined && typeof node.additionalProperties === 'object') {
    walk(node.additionalProperties as Schema, `${path}.*`, out, { inJunctor: ctx.inJunctor, isRoot: false });
  }
  if (node.items !== undefined && typeof node.items === 'object' && !Array.isArray(node.items)) {
    walk(node.items as Schema, `${path}[]`, out, { inJunctor: ctx.inJunctor, isRoot: false });
  }
  for (const j of JUNCTORS) {
    const branches = node[j];
    if (branches === undefined) continue;
    const list = (Array.isArray(branches) ? branches : [branches]) as Schema[];
    for (const [i, b] of list.entries()) {
      walk(b, `${path}.${j}[${i}]`, out, { inJunctor: true, isRoot: false });
      // Every field named inside a junctor must also be specified outside it.
      for (const field of Object.keys((b.properties ?? {}) as object)) {
        if (props?.[field] === undefined)
          out.push(`${at}: ${j} names field "${field}" not specified outside it`);
      }
    }
  }
}

/** Go's regexp (RE2) has no lookaround and no backreferences. */
function isRe2Compatible(pattern: string): boolean {
  return !/\(\?[=!<]|\\[1-9]/.test(pattern);
}
