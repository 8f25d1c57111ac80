/** Kubernetes object metadata and names, shared by every resource schema. */
import { z } from 'zod';

/** RFC 1123 label: lowercase alphanumerics and '-', at most 63 characters. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** RFC 1123 subdomain (used for object names). */
export const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export const nameSchema = z.string().regex(DNS_SUBDOMAIN, 'must be a lowercase RFC 1123 name');
export const namespaceSchema = z.string().regex(DNS_LABEL, 'must be a lowercase RFC 1123 label');
export const portSchema = z.number().int().min(1).max(65535);

/**
 * Object metadata as weft reads it. Unknown metadata fields (uid, managedFields, …) are
 * allowed, since the API server adds them.
 */
export const objectMetaSchema = z.looseObject({
  name: nameSchema,
  namespace: namespaceSchema.optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  resourceVersion: z.string().optional(),
  generation: z.number().optional(),
  uid: z.string().optional(),
});
export type ObjectMeta = z.output<typeof objectMetaSchema>;

/** A policy's attachment to a Service, Gateway API style. */
export const targetRefSchema = z.strictObject({
  group: z.string().optional(),
  kind: z.literal('Service'),
  name: nameSchema,
  /** Only the policy's own namespace is allowed; kept for Gateway API compatibility. */
  namespace: namespaceSchema.optional(),
  port: portSchema.optional(),
});
export type TargetRef = z.output<typeof targetRefSchema>;
