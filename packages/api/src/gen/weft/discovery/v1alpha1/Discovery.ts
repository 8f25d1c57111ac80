// Original file: weft/discovery/v1alpha1/discovery.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { DiscoveryRequest as _weft_discovery_v1alpha1_DiscoveryRequest, DiscoveryRequest__Output as _weft_discovery_v1alpha1_DiscoveryRequest__Output } from '../../../weft/discovery/v1alpha1/DiscoveryRequest.js';
import type { DiscoveryResponse as _weft_discovery_v1alpha1_DiscoveryResponse, DiscoveryResponse__Output as _weft_discovery_v1alpha1_DiscoveryResponse__Output } from '../../../weft/discovery/v1alpha1/DiscoveryResponse.js';

export interface DiscoveryClient extends grpc.Client {
  Stream(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_weft_discovery_v1alpha1_DiscoveryRequest, _weft_discovery_v1alpha1_DiscoveryResponse__Output>;
  Stream(options?: grpc.CallOptions): grpc.ClientDuplexStream<_weft_discovery_v1alpha1_DiscoveryRequest, _weft_discovery_v1alpha1_DiscoveryResponse__Output>;
  stream(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_weft_discovery_v1alpha1_DiscoveryRequest, _weft_discovery_v1alpha1_DiscoveryResponse__Output>;
  stream(options?: grpc.CallOptions): grpc.ClientDuplexStream<_weft_discovery_v1alpha1_DiscoveryRequest, _weft_discovery_v1alpha1_DiscoveryResponse__Output>;
  
}

export interface DiscoveryHandlers extends grpc.UntypedServiceImplementation {
  Stream: grpc.handleBidiStreamingCall<_weft_discovery_v1alpha1_DiscoveryRequest__Output, _weft_discovery_v1alpha1_DiscoveryResponse>;
  
}

export interface DiscoveryDefinition extends grpc.ServiceDefinition {
  Stream: MethodDefinition<_weft_discovery_v1alpha1_DiscoveryRequest, _weft_discovery_v1alpha1_DiscoveryResponse, _weft_discovery_v1alpha1_DiscoveryRequest__Output, _weft_discovery_v1alpha1_DiscoveryResponse__Output>
}
