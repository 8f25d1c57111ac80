/**
 * Gateway API GatewayClass, Gateway, GRPCRoute and ReferenceGrant (gateway.networking.k8s.io):
 * what the ingress gateway reads. HTTPRoute and the parts routes share are in gateway.ts.
 */
import { z } from 'zod';
import {
  backendRefSchema,
  GATEWAY_GROUP,
  hostnameSchema,
  parentRefSchema,
  routeFilterSchema,
  sectionNameSchema,
} from './gateway.js';
import { nameSchema, namespaceSchema, objectMetaSchema, portSchema } from './meta.js';

/** The controllerName of the GatewayClasses weft's gateway serves. */
export const GATEWAY_CONTROLLER_NAME = 'weft.dev/gateway';

const gatewayApiVersion = z.enum([`${GATEWAY_GROUP}/v1`, `${GATEWAY_GROUP}/v1beta1`]);

export const gatewayClassSchema = z.looseObject({
  apiVersion: gatewayApiVersion,
  kind: z.literal('GatewayClass'),
  metadata: objectMetaSchema,
  spec: z.looseObject({
    controllerName: z.string().min(1).max(253),
    description: z.string().max(64).optional(),
  }),
});
export type GatewayClassResource = z.output<typeof gatewayClassSchema>;

/** A Kubernetes label selector (matchLabels and matchExpressions). */
export const labelSelectorSchema = z.looseObject({
  matchLabels: z.record(z.string(), z.string()).optional(),
  matchExpressions: z
    .array(
      z.looseObject({
        key: z.string().min(1),
        operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
        values: z.array(z.string()).optional(),
      }),
    )
    .optional(),
});
export type LabelSelector = z.output<typeof labelSelectorSchema>;

const secretObjectRefSchema = z.looseObject({
  group: z.string().optional(),
  kind: z.string().optional(),
  name: nameSchema,
  namespace: namespaceSchema.optional(),
});

export const listenerSchema = z.looseObject({
  name: sectionNameSchema,
  hostname: hostnameSchema.optional(),
  port: portSchema,
  /** HTTP and HTTPS are served; any other protocol is reported as unsupported on the listener. */
  protocol: z.string().min(1).max(255),
  tls: z
    .looseObject({
      mode: z.enum(['Terminate', 'Passthrough']).default('Terminate'),
      certificateRefs: z.array(secretObjectRefSchema).max(64).optional(),
    })
    .optional(),
  allowedRoutes: z
    .looseObject({
      namespaces: z
        .looseObject({
          from: z.enum(['All', 'Same', 'Selector', 'None']).default('Same'),
          selector: labelSelectorSchema.optional(),
        })
        .refine((n) => n.from !== 'Selector' || n.selector !== undefined, {
          message: 'selector is required when from is Selector',
          path: ['selector'],
        })
        .optional(),
      kinds: z
        .array(z.looseObject({ group: z.string().optional(), kind: z.string().min(1) }))
        .max(8)
        .optional(),
    })
    .optional(),
});
export type ListenerSpec = z.output<typeof listenerSchema>;

export const gatewaySchema = z.looseObject({
  apiVersion: gatewayApiVersion,
  kind: z.literal('Gateway'),
  metadata: objectMetaSchema,
  spec: z.looseObject({
    gatewayClassName: nameSchema,
    listeners: z
      .array(listenerSchema)
      .min(1)
      .max(64)
      .superRefine((listeners, ctx) => {
        const seen = new Set<string>();
        for (const [i, l] of listeners.entries()) {
          if (seen.has(l.name))
            ctx.addIssue({
              code: 'custom',
              path: [i, 'name'],
              message: `listener name "${l.name}" is used twice`,
            });
          seen.add(l.name);
        }
      }),
  }),
});
export type GatewayResource = z.output<typeof gatewaySchema>;

const grpcHeaderMatch = z.looseObject({
  type: z.enum(['Exact', 'RegularExpression']).default('Exact'),
  name: z.string().min(1).max(256),
  value: z.string().max(4096),
});

export const grpcRouteMatchSchema = z.looseObject({
  method: z
    .looseObject({
      type: z.enum(['Exact', 'RegularExpression']).default('Exact'),
      service: z.string().min(1).max(1024).optional(),
      method: z.string().min(1).max(1024).optional(),
    })
    .refine((m) => m.service !== undefined || m.method !== undefined, 'one of service and method is required')
    .optional(),
  headers: z.array(grpcHeaderMatch).max(16).optional(),
});

export const grpcRouteSchema = z.looseObject({
  apiVersion: z.enum([`${GATEWAY_GROUP}/v1`]),
  kind: z.literal('GRPCRoute'),
  metadata: objectMetaSchema,
  spec: z.looseObject({
    parentRefs: z.array(parentRefSchema).max(32).default([]),
    hostnames: z.array(hostnameSchema).max(16).optional(),
    rules: z
      .array(
        z.looseObject({
          name: z.string().optional(),
          matches: z.array(grpcRouteMatchSchema).max(64).optional(),
          filters: z.array(routeFilterSchema).max(16).optional(),
          backendRefs: z.array(backendRefSchema).max(16).optional(),
        }),
      )
      .max(64)
      .default([]),
  }),
});
export type GrpcRouteResource = z.output<typeof grpcRouteSchema>;

export const referenceGrantSchema = z.looseObject({
  apiVersion: z.enum([`${GATEWAY_GROUP}/v1`, `${GATEWAY_GROUP}/v1beta1`]),
  kind: z.literal('ReferenceGrant'),
  metadata: objectMetaSchema,
  spec: z.looseObject({
    from: z
      .array(z.looseObject({ group: z.string(), kind: z.string().min(1), namespace: namespaceSchema }))
      .min(1)
      .max(16),
    to: z
      .array(z.looseObject({ group: z.string(), kind: z.string().min(1), name: nameSchema.optional() }))
      .min(1)
      .max(16),
  }),
});
export type ReferenceGrantResource = z.output<typeof referenceGrantSchema>;
