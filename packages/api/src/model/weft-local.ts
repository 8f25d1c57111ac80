/**
 * weft.dev/v1alpha1 kinds for folder (local) mode: `StaticEndpoints`, the endpoints of a Service
 * that no registry reports (a database on the laptop, an external API), and `MeshConfig`, the mesh
 * config as a manifest.
 */
import { z } from 'zod';
import { meshConfigSchema } from './mesh-config.js';
import { nameSchema, objectMetaSchema, portSchema } from './meta.js';
import { WEFT_API_VERSION } from './weft-policy.js';

export const staticEndpointSchema = z
  .strictObject({
    /** An IP address or host name. */
    address: z.string().min(1).max(253),
    /** The workload port; omitted, the endpoint serves every port of the Service (at its targetPort). */
    port: portSchema.optional(),
    /** The SPIFFE ID the endpoint presents; set it when the endpoint runs a weft proxy. */
    identity: z
      .string()
      .regex(/^spiffe:\/\/[^/\s]+\/\S*$/, 'must be a SPIFFE ID')
      .optional(),
    /** The inbound listener port of the endpoint's weft proxy; omitted, traffic goes to it in plaintext. */
    inboundPort: portSchema.optional(),
    weight: z.number().int().min(0).max(1_000_000).default(1),
    zone: z.string().max(63).optional(),
    ready: z.boolean().default(true),
    labels: z.record(z.string(), z.string()).optional(),
  })
  .refine((e) => e.inboundPort === undefined || e.identity !== undefined, {
    message: 'inboundPort needs identity: a meshed endpoint must present a SPIFFE ID',
    path: ['identity'],
  });

export const staticEndpointsSchema = z.looseObject({
  apiVersion: z.literal(WEFT_API_VERSION),
  kind: z.literal('StaticEndpoints'),
  metadata: objectMetaSchema,
  spec: z.strictObject({
    /** The Service (in the same namespace) these endpoints back. */
    service: nameSchema,
    endpoints: z.array(staticEndpointSchema).max(10_000),
  }),
});
export type StaticEndpointsResource = z.output<typeof staticEndpointsSchema>;

export const meshConfigResourceSchema = z.looseObject({
  apiVersion: z.literal(WEFT_API_VERSION),
  kind: z.literal('MeshConfig'),
  metadata: objectMetaSchema,
  spec: meshConfigSchema,
});
export type MeshConfigResource = z.output<typeof meshConfigResourceSchema>;
