// Original file: weft/identity/v1alpha1/identity.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { CertifyRequest as _weft_identity_v1alpha1_CertifyRequest, CertifyRequest__Output as _weft_identity_v1alpha1_CertifyRequest__Output } from '../../../weft/identity/v1alpha1/CertifyRequest.js';
import type { CertifyResponse as _weft_identity_v1alpha1_CertifyResponse, CertifyResponse__Output as _weft_identity_v1alpha1_CertifyResponse__Output } from '../../../weft/identity/v1alpha1/CertifyResponse.js';

/**
 * Issues workload certificates. Served on the control plane's port 7443 over TLS; a
 * client certificate is not needed (the token authenticates the caller).
 */
export interface IdentityClient extends grpc.Client {
  /**
   * Signs a CSR for the identity proven by the token. The identity in the certificate
   * comes from the token, never from the CSR's subject or extensions.
   */
  Certify(argument: _weft_identity_v1alpha1_CertifyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_weft_identity_v1alpha1_CertifyResponse__Output>): grpc.ClientUnaryCall;
  Certify(argument: _weft_identity_v1alpha1_CertifyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_weft_identity_v1alpha1_CertifyResponse__Output>): grpc.ClientUnaryCall;
  Certify(argument: _weft_identity_v1alpha1_CertifyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_weft_identity_v1alpha1_CertifyResponse__Output>): grpc.ClientUnaryCall;
  Certify(argument: _weft_identity_v1alpha1_CertifyRequest, callback: grpc.requestCallback<_weft_identity_v1alpha1_CertifyResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Signs a CSR for the identity proven by the token. The identity in the certificate
   * comes from the token, never from the CSR's subject or extensions.
   */
  certify(argument: _weft_identity_v1alpha1_CertifyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_weft_identity_v1alpha1_CertifyResponse__Output>): grpc.ClientUnaryCall;
  certify(argument: _weft_identity_v1alpha1_CertifyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_weft_identity_v1alpha1_CertifyResponse__Output>): grpc.ClientUnaryCall;
  certify(argument: _weft_identity_v1alpha1_CertifyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_weft_identity_v1alpha1_CertifyResponse__Output>): grpc.ClientUnaryCall;
  certify(argument: _weft_identity_v1alpha1_CertifyRequest, callback: grpc.requestCallback<_weft_identity_v1alpha1_CertifyResponse__Output>): grpc.ClientUnaryCall;
  
}

/**
 * Issues workload certificates. Served on the control plane's port 7443 over TLS; a
 * client certificate is not needed (the token authenticates the caller).
 */
export interface IdentityHandlers extends grpc.UntypedServiceImplementation {
  /**
   * Signs a CSR for the identity proven by the token. The identity in the certificate
   * comes from the token, never from the CSR's subject or extensions.
   */
  Certify: grpc.handleUnaryCall<_weft_identity_v1alpha1_CertifyRequest__Output, _weft_identity_v1alpha1_CertifyResponse>;
  
}

export interface IdentityDefinition extends grpc.ServiceDefinition {
  Certify: MethodDefinition<_weft_identity_v1alpha1_CertifyRequest, _weft_identity_v1alpha1_CertifyResponse, _weft_identity_v1alpha1_CertifyRequest__Output, _weft_identity_v1alpha1_CertifyResponse__Output>
}
