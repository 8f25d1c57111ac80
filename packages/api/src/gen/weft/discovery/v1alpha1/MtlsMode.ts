// Original file: weft/discovery/v1alpha1/discovery.proto

export const MtlsMode = {
  MTLS_MODE_UNSPECIFIED: 'MTLS_MODE_UNSPECIFIED',
  MTLS_MODE_STRICT: 'MTLS_MODE_STRICT',
  MTLS_MODE_PERMISSIVE: 'MTLS_MODE_PERMISSIVE',
} as const;

export type MtlsMode =
  | 'MTLS_MODE_UNSPECIFIED'
  | 0
  | 'MTLS_MODE_STRICT'
  | 1
  | 'MTLS_MODE_PERMISSIVE'
  | 2

export type MtlsMode__Output = typeof MtlsMode[keyof typeof MtlsMode]
