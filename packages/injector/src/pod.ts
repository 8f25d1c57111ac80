/** The slice of a Kubernetes Pod (and of a Namespace) that the injector reads, validated at the edge. */
import { z } from 'zod';

const containerPortSchema = z.looseObject({
  containerPort: z.number().int().min(1).max(65535),
  protocol: z.string().optional(),
  name: z.string().optional(),
});

const containerSchema = z.looseObject({
  name: z.string().min(1),
  ports: z.array(containerPortSchema).nullish(),
});

const stringMap = z.record(z.string(), z.string()).nullish();

/**
 * A Pod as the injector reads it: unknown fields are kept (they pass through untouched), and
 * only the fields the decision and the patch depend on are checked.
 */
export const podSchema = z.looseObject({
  metadata: z
    .looseObject({
      name: z.string().optional(),
      generateName: z.string().optional(),
      namespace: z.string().optional(),
      annotations: stringMap,
      labels: stringMap,
    })
    .nullish(),
  spec: z.looseObject({
    containers: z.array(containerSchema).min(1),
    initContainers: z.array(containerSchema).nullish(),
    volumes: z.array(z.looseObject({ name: z.string() })).nullish(),
    hostNetwork: z.boolean().nullish(),
    serviceAccountName: z.string().nullish(),
  }),
});

/** The validated Pod slice. */
export type Pod = z.output<typeof podSchema>;
/** One container of a Pod, as the injector reads it. */
export type Container = z.output<typeof containerSchema>;

/** What the injector knows about the pod's namespace (from the informer cache, or given offline). */
export interface NamespaceInfo {
  readonly name: string;
  /** The namespace's annotations; empty when the namespace is unknown. */
  readonly annotations: Readonly<Record<string, string>>;
}
