/** The mesh-wide config: a ConfigMap in Kubernetes, a file in folder mode. */
import { z } from 'zod';
import { durationSchema } from './duration.js';

export const tracingSchema = z.strictObject({
  /** OTLP collector endpoint, e.g. http://jaeger.weft-system:4318; empty disables export. */
  endpoint: z.string().default(''),
  /** OTLP transport. */
  protocol: z.enum(['grpc', 'http/protobuf']).default('http/protobuf'),
  /** Fraction of new traces to sample (parent-based). */
  sampling: z.number().min(0).max(1).default(0.01),
});

export const proxyDefaultsSchema = z.strictObject({
  /** Protocol detection timeout. */
  detectTimeout: durationSchema.default(1000),
  /** Ports treated as opaque TCP without detection (server-speaks-first protocols). */
  opaquePorts: z
    .array(z.number().int().min(1).max(65535))
    .default([25, 587, 3306, 4444, 5432, 6379, 9300, 11211]),
  /** Log level of proxies. */
  logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error']).default('info'),
});

export const pathNormalizationSchema = z.strictObject({
  /** Collapse runs of "/" into one before matching and forwarding. */
  mergeSlashes: z.boolean().default(true),
  /** "%2F" / "%5C" in a path: keep encoded, reject with 400, or decode to "/". */
  escapedSlashes: z.enum(['keep', 'reject', 'unescape']).default('reject'),
  /** A raw "\\" in a path: reject with 400, or treat as "/". */
  backslash: z.enum(['reject', 'to-slash']).default('reject'),
  /** Which target the app receives: the normalized one (what policy matched) or the original. */
  forward: z.enum(['normalized', 'original']).default('normalized'),
});

/** The parsed path-normalization section. */
export type PathNormalizationConfig = z.output<typeof pathNormalizationSchema>;

export const meshConfigSchema = z.strictObject({
  /** SPIFFE trust domain. */
  trustDomain: z
    .string()
    .regex(/^[a-z0-9.\-_]+$/, 'must be a lowercase trust domain')
    .default('cluster.local'),
  /** What inbound traffic is allowed when no AuthorizationPolicy selects a workload. */
  defaultInboundPolicy: z.enum(['allow-all', 'allow-authenticated', 'deny']).default('allow-all'),
  /** strict: inbound must be mTLS; permissive: plaintext is also accepted (unauthenticated). */
  mtls: z.enum(['strict', 'permissive']).default('permissive'),
  tracing: tracingSchema.default({ endpoint: '', protocol: 'http/protobuf', sampling: 0.01 }),
  /** How proxies normalize request paths (see docs/path-normalization.md). */
  pathNormalization: pathNormalizationSchema.default({
    mergeSlashes: true,
    escapedSlashes: 'reject',
    backslash: 'reject',
    forward: 'normalized',
  }),
  proxy: proxyDefaultsSchema.default({
    detectTimeout: 1000,
    opaquePorts: [25, 587, 3306, 4444, 5432, 6379, 9300, 11211],
    logLevel: 'info',
  }),
});

/** The parsed mesh config (durations in milliseconds). */
export type MeshConfig = z.output<typeof meshConfigSchema>;

/** The mesh config when none is given. */
export function defaultMeshConfig(): MeshConfig {
  return meshConfigSchema.parse({});
}
