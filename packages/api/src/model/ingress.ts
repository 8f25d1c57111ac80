/** networking.k8s.io/v1 Ingress and TLS Secrets, as the ingress gateway reads them. */
import { z } from 'zod';
import { hostnameSchema } from './gateway.js';
import { nameSchema, objectMetaSchema, portSchema } from './meta.js';

/** The Secret type whose tls.crt and tls.key the gateway serves. */
export const TLS_SECRET_TYPE = 'kubernetes.io/tls';

const ingressBackendSchema = z
  .looseObject({
    service: z
      .looseObject({
        name: nameSchema,
        port: z
          .looseObject({ number: portSchema.optional(), name: z.string().min(1).max(15).optional() })
          .refine(
            (p) => (p.number === undefined) !== (p.name === undefined),
            'exactly one of number and name',
          ),
      })
      .optional(),
    resource: z
      .looseObject({ apiGroup: z.string().optional(), kind: z.string().min(1), name: nameSchema })
      .optional(),
  })
  .refine(
    (b) => (b.service === undefined) !== (b.resource === undefined),
    'exactly one of service and resource',
  );
export type IngressBackend = z.output<typeof ingressBackendSchema>;

export const ingressSchema = z.looseObject({
  apiVersion: z.literal('networking.k8s.io/v1'),
  kind: z.literal('Ingress'),
  metadata: objectMetaSchema,
  spec: z
    .looseObject({
      ingressClassName: z.string().optional(),
      defaultBackend: ingressBackendSchema.optional(),
      tls: z
        .array(
          z.looseObject({ hosts: z.array(hostnameSchema).optional(), secretName: nameSchema.optional() }),
        )
        .max(64)
        .optional(),
      rules: z
        .array(
          z.looseObject({
            host: hostnameSchema.optional(),
            http: z
              .looseObject({
                paths: z
                  .array(
                    z.looseObject({
                      path: z.string().max(1024).optional(),
                      pathType: z.enum(['Exact', 'Prefix', 'ImplementationSpecific']),
                      backend: ingressBackendSchema,
                    }),
                  )
                  .min(1)
                  .max(256),
              })
              .optional(),
          }),
        )
        .max(256)
        .optional(),
    })
    .default({}),
});
export type IngressResource = z.output<typeof ingressSchema>;

/** PEM chains and keys are small; 256 KiB bounds what one Secret makes the control plane hold. */
const base64 = z
  .string()
  .max(256 * 1024)
  .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');

/** A TLS Secret: its data holds base64 PEM (tls.crt: the chain, leaf first; tls.key: the key). */
export const tlsSecretSchema = z.looseObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('Secret'),
  metadata: objectMetaSchema,
  type: z.literal(TLS_SECRET_TYPE),
  data: z.looseObject({ 'tls.crt': base64, 'tls.key': base64 }),
});
export type TlsSecretResource = z.output<typeof tlsSecretSchema>;
