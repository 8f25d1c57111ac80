/** Gateway API HTTPRoute (gateway.networking.k8s.io/v1), the mesh (Service parentRef) subset. */
import { z } from 'zod';
import { durationSchema } from './duration.js';
import { nameSchema, namespaceSchema, objectMetaSchema, portSchema } from './meta.js';

export const GATEWAY_GROUP = 'gateway.networking.k8s.io';

const parentRefSchema = z.looseObject({
  group: z.string().optional(),
  kind: z.string().optional(),
  name: nameSchema,
  namespace: namespaceSchema.optional(),
  port: portSchema.optional(),
});

const stringMatch = z.looseObject({
  type: z.enum(['Exact', 'RegularExpression']).default('Exact'),
  name: z.string().min(1).max(256),
  value: z.string().max(4096),
});

export const httpRouteMatchSchema = z.looseObject({
  path: z
    .looseObject({
      type: z.enum(['Exact', 'PathPrefix', 'RegularExpression']).default('PathPrefix'),
      value: z.string().max(1024).default('/'),
    })
    .optional(),
  method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']).optional(),
  headers: z.array(stringMatch).max(16).optional(),
  queryParams: z.array(stringMatch).max(16).optional(),
});

const backendRefSchema = z.looseObject({
  group: z.string().optional(),
  kind: z.string().optional(),
  name: nameSchema,
  namespace: namespaceSchema.optional(),
  port: portSchema.optional(),
  weight: z.number().int().min(0).max(1_000_000).default(1),
});

export const httpRouteSchema = z.looseObject({
  apiVersion: z.enum([`${GATEWAY_GROUP}/v1`, `${GATEWAY_GROUP}/v1beta1`]),
  kind: z.literal('HTTPRoute'),
  metadata: objectMetaSchema,
  spec: z.looseObject({
    parentRefs: z.array(parentRefSchema).min(1),
    hostnames: z.array(z.string()).optional(),
    rules: z
      .array(
        z.looseObject({
          name: z.string().optional(),
          matches: z.array(httpRouteMatchSchema).max(64).optional(),
          backendRefs: z.array(backendRefSchema).optional(),
          timeouts: z
            .looseObject({ request: durationSchema.optional(), backendRequest: durationSchema.optional() })
            .optional(),
          retry: z
            .looseObject({
              codes: z.array(z.number().int().min(400).max(599)).optional(),
              attempts: z.number().int().min(0).max(10).optional(),
              backoff: durationSchema.optional(),
            })
            .optional(),
        }),
      )
      .max(64)
      .default([]),
  }),
});
export type HttpRouteResource = z.output<typeof httpRouteSchema>;
