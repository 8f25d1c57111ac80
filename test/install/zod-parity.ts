// Compares a CRD's OpenAPI schema with the zod schema weft parses the same resource with, so
// that the two cannot drift: the same field names at every level, the same enums, compatible
// types, and every field zod requires also required by the CRD.
import type { z } from 'zod';

type Schema = Record<string, unknown>;
interface ZodDef {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  element?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  catchall?: z.ZodType;
  options?: z.ZodType[];
  entries?: Record<string, string>;
  values?: unknown[];
  checks?: { _zod: { def: { check: string; format?: string } } }[];
  format?: string;
}

function def(s: z.ZodType): ZodDef {
  return (s as unknown as { _zod: { def: ZodDef } })._zod.def;
}

/** Strips optional/default/pipe wrappers; `optional` tells whether the field may be omitted. */
function unwrap(s: z.ZodType): { core: ZodDef; optional: boolean } {
  let d = def(s);
  let optional = false;
  for (;;) {
    if (d.type === 'optional' || d.type === 'default' || d.type === 'prefault') {
      optional = true;
      d = def(d.innerType as z.ZodType);
    } else if (d.type === 'nullable' || d.type === 'readonly' || d.type === 'catch') {
      d = def(d.innerType as z.ZodType);
    } else if (d.type === 'pipe') {
      d = def(d.in as z.ZodType);
    } else {
      return { core: d, optional };
    }
  }
}

function isIntegerNumber(d: ZodDef): boolean {
  return (
    d.format === 'safeint' ||
    d.format === 'int32' ||
    (d.checks ?? []).some((c) => c._zod.def.format === 'safeint' || c._zod.def.check === 'number_format')
  );
}

/** Differences between `crd` and `zod` at `path`; empty when they agree. */
export function parityProblems(
  crd: Schema,
  zodSchema: z.ZodType,
  path: string,
  skip: readonly string[] = [],
): string[] {
  const out: string[] = [];
  const { core } = unwrap(zodSchema);
  const at = path || '(root)';
  switch (core.type) {
    case 'object': {
      if (crd.type !== 'object') return [`${at}: zod has an object, the CRD has ${String(crd.type)}`];
      const crdProps = (crd.properties ?? {}) as Record<string, Schema>;
      const zodShape = core.shape ?? {};
      const strict = core.catchall !== undefined && def(core.catchall).type === 'never';
      for (const key of Object.keys(zodShape)) {
        if (crdProps[key] === undefined) out.push(`${at}: field "${key}" is in zod but not in the CRD`);
      }
      if (strict) {
        for (const key of Object.keys(crdProps)) {
          if (zodShape[key] === undefined) out.push(`${at}: field "${key}" is in the CRD but zod rejects it`);
        }
      }
      const required = (crd.required ?? []) as string[];
      for (const [key, value] of Object.entries(zodShape)) {
        const sub = `${path}.${key}`;
        if (skip.includes(sub) || crdProps[key] === undefined) continue;
        if (!unwrap(value).optional && path !== '' && !required.includes(key)) {
          out.push(`${sub}: zod requires it, the CRD does not`);
        }
        out.push(...parityProblems(crdProps[key] as Schema, value, sub, skip));
      }
      return out;
    }
    case 'array':
      if (crd.type !== 'array') return [`${at}: zod has an array, the CRD has ${String(crd.type)}`];
      return parityProblems(crd.items as Schema, core.element as z.ZodType, `${path}[]`, skip);
    case 'string':
      return crd.type === 'string' ? [] : [`${at}: zod has a string, the CRD has ${String(crd.type)}`];
    case 'boolean':
      return crd.type === 'boolean' ? [] : [`${at}: zod has a boolean, the CRD has ${String(crd.type)}`];
    case 'number':
      if (isIntegerNumber(core))
        return crd.type === 'integer' ? [] : [`${at}: zod has an integer, the CRD has ${String(crd.type)}`];
      return crd.type === 'number' ? [] : [`${at}: zod has a number, the CRD has ${String(crd.type)}`];
    case 'enum': {
      const values = Object.values(core.entries ?? {}).sort();
      const crdValues = [...((crd.enum ?? []) as string[])].sort();
      return JSON.stringify(values) === JSON.stringify(crdValues)
        ? []
        : [`${at}: enum ${JSON.stringify(values)} in zod, ${JSON.stringify(crdValues)} in the CRD`];
    }
    case 'literal': {
      const values = (core.values ?? []) as string[];
      const crdValues = (crd.enum ?? []) as string[];
      return JSON.stringify(values) === JSON.stringify(crdValues)
        ? []
        : [`${at}: literal ${JSON.stringify(values)} in zod, enum ${JSON.stringify(crdValues)} in the CRD`];
    }
    case 'union':
      // Weights: number | string (v1alpha1 quantities) in zod; int-or-string or integer in the CRD.
      return crd['x-kubernetes-int-or-string'] === true || crd.type === 'integer' || crd.type === 'number'
        ? []
        : [`${at}: zod has a union, the CRD has ${String(crd.type)}`];
    default:
      return [`${at}: zod type ${core.type} is not compared`];
  }
}
