/** SMI TrafficSplit (split.smi-spec.io v1alpha1–v1alpha4), as Flagger and others write it. */
import { z } from 'zod';
import { nameSchema, objectMetaSchema } from './meta.js';

export const SMI_SPLIT_GROUP = 'split.smi-spec.io';
export const SMI_SPLIT_VERSIONS = ['v1alpha1', 'v1alpha2', 'v1alpha3', 'v1alpha4'] as const;

/**
 * v1alpha1 weights are Kubernetes quantities ("900m", "100", "1"); later versions use
 * integers. Both become a plain non-negative number.
 */
const quantityWeight = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const n = typeof value === 'number' ? value : parseQuantity(value);
  if (n === undefined || !Number.isFinite(n) || n < 0) {
    ctx.addIssue({
      code: 'custom',
      message: `weight must be a non-negative number, got ${JSON.stringify(value)}`,
    });
    return z.NEVER;
  }
  return n;
});

function parseQuantity(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(m?)$/.exec(text.trim());
  if (m === null) return undefined;
  return Number(m[1]) / (m[2] === 'm' ? 1000 : 1);
}

const backendSchema = z.looseObject({
  service: nameSchema,
  /**
   * Omitted means 0: Flagger's v1alpha1/v1alpha2 types mark weight `omitempty`, so a canary
   * backend at weight 0 arrives without the field.
   */
  weight: quantityWeight.default(0),
});

export const trafficSplitSchema = z.looseObject({
  apiVersion: z.enum(SMI_SPLIT_VERSIONS.map((v) => `${SMI_SPLIT_GROUP}/${v}`) as [string, ...string[]]),
  kind: z.literal('TrafficSplit'),
  metadata: objectMetaSchema,
  spec: z.looseObject({
    /** The root (apex) service that clients address. */
    service: nameSchema,
    backends: z.array(backendSchema).min(1, 'at least one backend is required'),
    /** v1alpha2+: HTTPRouteGroup references; v1alpha1 has none. weft routes on them when present. */
    matches: z.array(z.looseObject({ kind: z.string(), name: nameSchema })).optional(),
  }),
});
export type TrafficSplitResource = z.output<typeof trafficSplitSchema>;
