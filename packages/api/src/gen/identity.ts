import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from './google/protobuf/Timestamp.js';
import type { CertifyRequest as _weft_identity_v1alpha1_CertifyRequest, CertifyRequest__Output as _weft_identity_v1alpha1_CertifyRequest__Output } from './weft/identity/v1alpha1/CertifyRequest.js';
import type { CertifyResponse as _weft_identity_v1alpha1_CertifyResponse, CertifyResponse__Output as _weft_identity_v1alpha1_CertifyResponse__Output } from './weft/identity/v1alpha1/CertifyResponse.js';
import type { IdentityClient as _weft_identity_v1alpha1_IdentityClient, IdentityDefinition as _weft_identity_v1alpha1_IdentityDefinition } from './weft/identity/v1alpha1/Identity.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  google: {
    protobuf: {
      Timestamp: MessageTypeDefinition<_google_protobuf_Timestamp, _google_protobuf_Timestamp__Output>
    }
  }
  weft: {
    identity: {
      v1alpha1: {
        CertifyRequest: MessageTypeDefinition<_weft_identity_v1alpha1_CertifyRequest, _weft_identity_v1alpha1_CertifyRequest__Output>
        CertifyResponse: MessageTypeDefinition<_weft_identity_v1alpha1_CertifyResponse, _weft_identity_v1alpha1_CertifyResponse__Output>
        /**
         * Issues workload certificates. Served on the control plane's port 7443 over TLS; a
         * client certificate is not needed (the token authenticates the caller).
         */
        Identity: SubtypeConstructor<typeof grpc.Client, _weft_identity_v1alpha1_IdentityClient> & { service: _weft_identity_v1alpha1_IdentityDefinition }
      }
    }
  }
}

