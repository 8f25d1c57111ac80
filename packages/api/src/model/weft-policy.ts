/** weft.dev/v1alpha1 TrafficPolicy and AuthorizationPolicy, attached to a Service by targetRef. */
import { z } from 'zod';
import { durationSchema } from './duration.js';
import { namespaceSchema, objectMetaSchema, portSchema, targetRefSchema } from './meta.js';

export const WEFT_GROUP = 'weft.dev';
export const WEFT_API_VERSION = 'weft.dev/v1alpha1';

/** Retry conditions a policy may name; status codes ("503") and gRPC codes ("grpc:unavailable") too. */
export const RETRY_CONDITION =
  /^(connect-failure|refused-stream|reset|5xx|gateway-error|[1-5]\d\d|grpc:(cancelled|deadline-exceeded|internal|resource-exhausted|unavailable|unknown|aborted))$/;

export const retrySchema = z.strictObject({
  /** Total attempts including the first (1 disables retries). */
  attempts: z.number().int().min(1).max(10).default(3),
  on: z
    .array(z.string().regex(RETRY_CONDITION, 'unknown retry condition'))
    .default(['connect-failure', 'refused-stream', 'reset', 'gateway-error']),
  perTryTimeout: durationSchema.optional(),
  backoff: z.strictObject({ base: durationSchema.default(25), max: durationSchema.default(250) }).optional(),
  budget: z
    .strictObject({
      ratio: z.number().min(0).max(1).default(0.2),
      minPerSecond: z.number().int().min(0).default(10),
      ttl: durationSchema.default(10_000),
    })
    .optional(),
  /** Retry methods that are not idempotent (POST, PATCH) too. */
  nonIdempotent: z.boolean().default(false),
});

export const trafficPolicySpecSchema = z.strictObject({
  targetRef: targetRefSchema,
  loadBalancer: z.strictObject({ type: z.enum(['PeakEWMA', 'RoundRobin', 'LeastRequest']) }).optional(),
  timeouts: z
    .strictObject({
      request: durationSchema.optional(),
      perTry: durationSchema.optional(),
      idle: durationSchema.optional(),
    })
    .optional(),
  retry: retrySchema.optional(),
  outlierDetection: z
    .strictObject({
      consecutiveFailures: z.number().int().min(1).default(5),
      baseEjectionTime: durationSchema.default(30_000),
      maxEjectionPercent: z.number().int().min(0).max(100).default(50),
    })
    .optional(),
  limits: z
    .strictObject({
      maxConnections: z.number().int().min(1).optional(),
      maxPendingRequests: z.number().int().min(0).optional(),
      maxRequests: z.number().int().min(1).optional(),
    })
    .optional(),
});

export const trafficPolicySchema = z.looseObject({
  apiVersion: z.literal(WEFT_API_VERSION),
  kind: z.literal('TrafficPolicy'),
  metadata: objectMetaSchema,
  spec: trafficPolicySpecSchema,
});
export type TrafficPolicyResource = z.output<typeof trafficPolicySchema>;

const spiffeIdOrStar = z.string().regex(/^(\*|spiffe:\/\/[^/\s]+\/\S*)$/, 'must be a SPIFFE ID or "*"');

export const authorizationPolicySpecSchema = z.strictObject({
  targetRef: targetRefSchema,
  /** Deny policies are evaluated before Allow policies. */
  action: z.enum(['Allow', 'Deny']).default('Allow'),
  /** Any entry matching admits the source; empty means any source. */
  from: z
    .array(
      z.strictObject({
        identities: z.array(spiffeIdOrStar).optional(),
        namespaces: z.array(namespaceSchema).optional(),
        unauthenticated: z.boolean().optional(),
      }),
    )
    .default([]),
  /** Any entry matching admits the request; empty means any request. */
  to: z
    .array(
      z.strictObject({
        ports: z.array(portSchema).optional(),
        methods: z.array(z.string().regex(/^[A-Z]+$/, 'must be an upper-case HTTP method')).optional(),
        paths: z.array(z.string().regex(/^\/\S*$/, 'must start with "/"')).optional(),
      }),
    )
    .default([]),
});

export const authorizationPolicySchema = z.looseObject({
  apiVersion: z.literal(WEFT_API_VERSION),
  kind: z.literal('AuthorizationPolicy'),
  metadata: objectMetaSchema,
  spec: authorizationPolicySpecSchema,
});
export type AuthorizationPolicyResource = z.output<typeof authorizationPolicySchema>;
