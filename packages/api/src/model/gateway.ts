/**
 * Gateway API HTTPRoute (gateway.networking.k8s.io/v1): the mesh subset (a Service parentRef)
 * and the ingress subset (a Gateway parentRef, with filters). Shared parts (parentRefs,
 * backendRefs, filters, hostnames) are used by GRPCRoute too (gateway-api.ts).
 */
import { z } from 'zod';
import { durationSchema } from './duration.js';
import { nameSchema, namespaceSchema, objectMetaSchema, portSchema } from './meta.js';

export const GATEWAY_GROUP = 'gateway.networking.k8s.io';

/** A Gateway API hostname: RFC 1123, lower case, optionally with a leading "*." label. */
export const HOSTNAME = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
export const hostnameSchema = z
  .string()
  .max(253)
  .regex(HOSTNAME, 'must be a lower-case RFC 1123 hostname, optionally starting with "*."');

/** A listener name (Gateway API SectionName). */
export const sectionNameSchema = z
  .string()
  .max(253)
  .regex(
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
    'must be a lower-case RFC 1123 name',
  );

export const parentRefSchema = z.looseObject({
  group: z.string().optional(),
  kind: z.string().optional(),
  name: nameSchema,
  namespace: namespaceSchema.optional(),
  /** Gateway parents: the listener name. */
  sectionName: sectionNameSchema.optional(),
  port: portSchema.optional(),
});
export type ParentRef = z.output<typeof parentRefSchema>;

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

/** A reference to a backend object (Service unless group/kind say otherwise). */
export const backendObjectRefSchema = z.looseObject({
  group: z.string().optional(),
  kind: z.string().optional(),
  name: nameSchema,
  namespace: namespaceSchema.optional(),
  port: portSchema.optional(),
});
export type BackendObjectRef = z.output<typeof backendObjectRefSchema>;

const headerSchema = z.looseObject({ name: z.string().min(1).max(256), value: z.string().max(4096) });

export const headerModifierSchema = z.looseObject({
  set: z.array(headerSchema).max(16).optional(),
  add: z.array(headerSchema).max(16).optional(),
  remove: z.array(z.string().min(1).max(256)).max(16).optional(),
});

const pathModifierSchema = z
  .looseObject({
    type: z.enum(['ReplaceFullPath', 'ReplacePrefixMatch']),
    replaceFullPath: z.string().max(1024).optional(),
    replacePrefixMatch: z.string().max(1024).optional(),
  })
  .superRefine((p, ctx) => {
    const field = p.type === 'ReplaceFullPath' ? 'replaceFullPath' : 'replacePrefixMatch';
    if (p[field] === undefined)
      ctx.addIssue({ code: 'custom', path: [field], message: `required when type is ${p.type}` });
  });

/** Filters of HTTPRoute and GRPCRoute rules (and of their backendRefs). */
export const routeFilterSchema = z
  .looseObject({
    /** RequestHeaderModifier, ResponseHeaderModifier, RequestRedirect, URLRewrite, RequestMirror (others are rejected as unsupported when translated). */
    type: z.string().min(1).max(64),
    requestHeaderModifier: headerModifierSchema.optional(),
    responseHeaderModifier: headerModifierSchema.optional(),
    requestRedirect: z
      .looseObject({
        scheme: z.enum(['http', 'https']).optional(),
        hostname: hostnameSchema.optional(),
        path: pathModifierSchema.optional(),
        port: portSchema.optional(),
        statusCode: z.number().int().min(300).max(399).default(302),
      })
      .optional(),
    urlRewrite: z
      .looseObject({ hostname: hostnameSchema.optional(), path: pathModifierSchema.optional() })
      .optional(),
    requestMirror: z
      .looseObject({
        backendRef: backendObjectRefSchema,
        percent: z.number().int().min(0).max(100).optional(),
        fraction: z
          .looseObject({
            numerator: z.number().int().min(0),
            denominator: z.number().int().min(1).default(100),
          })
          .refine((f) => f.numerator <= f.denominator, 'numerator must not exceed denominator')
          .optional(),
      })
      .refine(
        (m) => m.percent === undefined || m.fraction === undefined,
        'percent and fraction are exclusive',
      )
      .optional(),
  })
  .superRefine((f, ctx) => {
    const field = FILTER_FIELD[f.type];
    if (field !== undefined && (f as Record<string, unknown>)[field] === undefined)
      ctx.addIssue({ code: 'custom', path: [field], message: `required when type is ${f.type}` });
  });
export type RouteFilter = z.output<typeof routeFilterSchema>;

/** The field each supported filter type is configured in. */
export const FILTER_FIELD: Readonly<Record<string, string>> = {
  RequestHeaderModifier: 'requestHeaderModifier',
  ResponseHeaderModifier: 'responseHeaderModifier',
  RequestRedirect: 'requestRedirect',
  URLRewrite: 'urlRewrite',
  RequestMirror: 'requestMirror',
};

export const backendRefSchema = backendObjectRefSchema.extend({
  weight: z.number().int().min(0).max(1_000_000).default(1),
  filters: z.array(routeFilterSchema).max(16).optional(),
});
export type RouteBackendRef = z.output<typeof backendRefSchema>;

export const httpRouteSchema = z.looseObject({
  apiVersion: z.enum([`${GATEWAY_GROUP}/v1`, `${GATEWAY_GROUP}/v1beta1`]),
  kind: z.literal('HTTPRoute'),
  metadata: objectMetaSchema,
  spec: z.looseObject({
    parentRefs: z.array(parentRefSchema).min(1).max(32),
    hostnames: z.array(hostnameSchema).max(16).optional(),
    rules: z
      .array(
        z.looseObject({
          name: z.string().optional(),
          matches: z.array(httpRouteMatchSchema).max(64).optional(),
          filters: z.array(routeFilterSchema).max(16).optional(),
          backendRefs: z.array(backendRefSchema).max(16).optional(),
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
