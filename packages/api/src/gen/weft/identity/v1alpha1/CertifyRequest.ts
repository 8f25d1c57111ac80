// Original file: weft/identity/v1alpha1/identity.proto


export interface CertifyRequest {
  /**
   * A projected ServiceAccount token (audience "weft") or a weft join token.
   */
  'token'?: (string);
  /**
   * The certificate signing request, DER-encoded (PKCS#10). At most 16 KiB.
   */
  'csr'?: (Buffer | Uint8Array | string);
}

export interface CertifyRequest__Output {
  /**
   * A projected ServiceAccount token (audience "weft") or a weft join token.
   */
  'token': (string);
  /**
   * The certificate signing request, DER-encoded (PKCS#10). At most 16 KiB.
   */
  'csr': (Buffer);
}
