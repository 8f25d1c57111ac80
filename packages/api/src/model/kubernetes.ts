/**
 * The Kubernetes core kinds the control plane reads (Namespace, Pod, Service, EndpointSlice),
 * reduced to the fields weft uses. Unknown fields are allowed: the API server adds many.
 */
import { z } from 'zod';
import { objectMetaSchema, portSchema } from './meta.js';

export const namespaceResourceSchema = z.looseObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('Namespace'),
  metadata: objectMetaSchema,
});
export type NamespaceResource = z.output<typeof namespaceResourceSchema>;

const containerPortSchema = z.looseObject({
  name: z.string().optional(),
  containerPort: portSchema,
  protocol: z.string().optional(),
});

export const podResourceSchema = z.looseObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('Pod'),
  metadata: objectMetaSchema,
  spec: z
    .looseObject({
      serviceAccountName: z.string().optional(),
      nodeName: z.string().optional(),
      containers: z
        .array(z.looseObject({ name: z.string(), ports: z.array(containerPortSchema).optional() }))
        .default([]),
      /** Native sidecars (Kubernetes >= 1.29) are init containers with restartPolicy Always. */
      initContainers: z
        .array(z.looseObject({ name: z.string(), restartPolicy: z.string().optional() }))
        .optional(),
    })
    .default({ containers: [] }),
  status: z
    .looseObject({
      phase: z.string().optional(),
      podIP: z.string().optional(),
      podIPs: z.array(z.looseObject({ ip: z.string() })).optional(),
    })
    .optional(),
});
export type PodResource = z.output<typeof podResourceSchema>;

const servicePortSpecSchema = z.looseObject({
  name: z.string().optional(),
  port: portSchema,
  /** A number, or the name of a container port. */
  targetPort: z.union([portSchema, z.string().min(1)]).optional(),
  protocol: z.enum(['TCP', 'UDP', 'SCTP']).default('TCP'),
  appProtocol: z.string().optional(),
});

export const serviceResourceSchema = z.looseObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('Service'),
  metadata: objectMetaSchema,
  spec: z.looseObject({
    type: z.string().optional(),
    clusterIP: z.string().optional(),
    clusterIPs: z.array(z.string()).optional(),
    selector: z.record(z.string(), z.string()).optional(),
    ports: z.array(servicePortSpecSchema).default([]),
  }),
  /** A LoadBalancer's addresses: the ingress gateway reports its own in Gateway status. */
  status: z
    .looseObject({
      loadBalancer: z
        .looseObject({
          ingress: z
            .array(z.looseObject({ ip: z.string().optional(), hostname: z.string().optional() }))
            .optional(),
        })
        .optional(),
    })
    .optional(),
});
export type ServiceResource = z.output<typeof serviceResourceSchema>;

export const endpointSliceResourceSchema = z.looseObject({
  apiVersion: z.literal('discovery.k8s.io/v1'),
  kind: z.literal('EndpointSlice'),
  metadata: objectMetaSchema,
  addressType: z.enum(['IPv4', 'IPv6', 'FQDN']),
  ports: z
    .array(
      z.looseObject({
        name: z.string().nullish(),
        port: portSchema.nullish(),
        protocol: z.string().nullish(),
        appProtocol: z.string().nullish(),
      }),
    )
    .nullish(),
  endpoints: z
    .array(
      z.looseObject({
        addresses: z.array(z.string()).min(1),
        conditions: z
          .looseObject({
            ready: z.boolean().nullish(),
            serving: z.boolean().nullish(),
            terminating: z.boolean().nullish(),
          })
          .optional(),
        targetRef: z
          .looseObject({
            kind: z.string().optional(),
            name: z.string().optional(),
            namespace: z.string().optional(),
          })
          .optional(),
        zone: z.string().nullish(),
        nodeName: z.string().nullish(),
      }),
    )
    .nullish(),
});
export type EndpointSliceResource = z.output<typeof endpointSliceResourceSchema>;

/** The label that ties an EndpointSlice to its Service. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
