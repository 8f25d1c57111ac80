/**
 * The typed mesh model the control plane derives from its sources and serves to proxies:
 * Service, Route, Backend, Endpoint, InboundPolicy. Durations are milliseconds.
 */
import { z } from 'zod';
import { nameSchema, namespaceSchema, portSchema } from './meta.js';

export const protocolSchema = z.enum(['http', 'http2', 'grpc', 'tcp']);
/** Application protocol of a service port; `tcp` is opaque. */
export type Protocol = z.output<typeof protocolSchema>;

export const servicePortSchema = z.strictObject({
  name: z.string().optional(),
  port: portSchema,
  /** The port on the workload; defaults to `port`. */
  targetPort: portSchema.optional(),
  protocol: protocolSchema.default('http'),
});
export type ServicePort = z.output<typeof servicePortSchema>;

export const serviceSchema = z.strictObject({
  name: nameSchema,
  namespace: namespaceSchema,
  ports: z.array(servicePortSchema).min(1),
  /** ClusterIPs, for subscriptions by ip:port. */
  clusterIPs: z.array(z.string()).default([]),
});
export type Service = z.output<typeof serviceSchema>;

export const endpointSchema = z.strictObject({
  address: z.string().min(1),
  port: portSchema,
  /** SPIFFE ID the endpoint must present; absent when it runs no weft proxy. */
  identity: z.string().startsWith('spiffe://').optional(),
  weight: z.number().int().min(0).max(1_000_000).default(1),
  zone: z.string().optional(),
  ready: z.boolean().default(true),
  /** Present when the endpoint runs a weft proxy whose inbound listener is on this port. */
  meshed: z.strictObject({ inboundPort: portSchema }).optional(),
});
export type Endpoint = z.output<typeof endpointSchema>;

/** A weighted reference to a service port: where a route sends traffic. */
export interface Backend {
  readonly service: string;
  readonly namespace: string;
  readonly port: number;
  readonly weight: number;
}

export type PathMatch =
  | { readonly type: 'exact'; readonly value: string }
  | { readonly type: 'prefix'; readonly value: string }
  | { readonly type: 'regex'; readonly value: string };

export interface ValueMatch {
  readonly name: string;
  readonly type: 'exact' | 'regex';
  readonly value: string;
}

export interface RouteMatch {
  readonly path?: PathMatch;
  readonly method?: string;
  readonly headers: readonly ValueMatch[];
  readonly queryParams: readonly ValueMatch[];
}

export interface RetryConfig {
  readonly attempts: number;
  readonly on: readonly string[];
  readonly perTryTimeoutMs?: number;
  readonly backoff: { readonly baseMs: number; readonly maxMs: number };
  readonly budget: { readonly ratio: number; readonly minPerSecond: number; readonly ttlMs: number };
  readonly nonIdempotent: boolean;
}

/** An HTTP route: any match selects it; the request goes to one weighted backend. */
export interface Route {
  readonly name: string;
  readonly matches: readonly RouteMatch[];
  readonly backends: readonly Backend[];
  readonly timeoutMs?: number;
  readonly retry?: RetryConfig;
}

export interface TrafficPolicyConfig {
  readonly loadBalancer: 'PeakEWMA' | 'RoundRobin' | 'LeastRequest';
  readonly timeouts: { readonly requestMs?: number; readonly perTryMs?: number; readonly idleMs?: number };
  readonly retry?: RetryConfig;
  readonly outlierDetection?: {
    readonly consecutiveFailures: number;
    readonly baseEjectionTimeMs: number;
    readonly maxEjectionPercent: number;
  };
  readonly limits: {
    readonly maxConnections?: number;
    readonly maxPendingRequests?: number;
    readonly maxRequests?: number;
  };
}

export type AuthorizationAction = 'Allow' | 'Deny';

export interface AuthorizationRule {
  /** `<namespace>/<name>` of the AuthorizationPolicy, named in denials. */
  readonly name: string;
  readonly action: AuthorizationAction;
  readonly from: readonly {
    identities?: readonly string[];
    namespaces?: readonly string[];
    unauthenticated?: boolean;
  }[];
  readonly to: readonly {
    ports?: readonly number[];
    methods?: readonly string[];
    paths?: readonly string[];
  }[];
}

/** How one workload's proxy treats inbound traffic. */
export interface InboundPolicy {
  readonly defaultAction: 'allow-all' | 'allow-authenticated' | 'deny';
  readonly mtls: 'strict' | 'permissive';
  readonly ports: readonly { readonly port: number; readonly protocol: Protocol }[];
  readonly rules: readonly AuthorizationRule[];
}
