// Original file: weft/identity/v1alpha1/identity.proto

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../../google/protobuf/Timestamp.js';

export interface CertifyResponse {
  /**
   * The leaf certificate, DER-encoded.
   */
  'leafCertificate'?: (Buffer | Uint8Array | string);
  /**
   * Intermediates from the leaf's issuer up to (not including) a trust anchor, DER.
   */
  'intermediateCertificates'?: (Buffer | Uint8Array | string)[];
  /**
   * The leaf's notAfter.
   */
  'validUntil'?: (_google_protobuf_Timestamp | null);
  /**
   * The SPIFFE ID the certificate was issued for.
   */
  'identity'?: (string);
  /**
   * The trust anchors currently in force, DER (more than one during rotation).
   */
  'trustAnchors'?: (Buffer | Uint8Array | string)[];
}

export interface CertifyResponse__Output {
  /**
   * The leaf certificate, DER-encoded.
   */
  'leafCertificate': (Buffer);
  /**
   * Intermediates from the leaf's issuer up to (not including) a trust anchor, DER.
   */
  'intermediateCertificates': (Buffer)[];
  /**
   * The leaf's notAfter.
   */
  'validUntil': (_google_protobuf_Timestamp__Output | null);
  /**
   * The SPIFFE ID the certificate was issued for.
   */
  'identity': (string);
  /**
   * The trust anchors currently in force, DER (more than one during rotation).
   */
  'trustAnchors': (Buffer)[];
}
