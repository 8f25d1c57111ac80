import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { Duration as _google_protobuf_Duration, Duration__Output as _google_protobuf_Duration__Output } from './google/protobuf/Duration.js';
import type { Ack as _weft_discovery_v1alpha1_Ack, Ack__Output as _weft_discovery_v1alpha1_Ack__Output } from './weft/discovery/v1alpha1/Ack.js';
import type { AuthorizationRule as _weft_discovery_v1alpha1_AuthorizationRule, AuthorizationRule__Output as _weft_discovery_v1alpha1_AuthorizationRule__Output } from './weft/discovery/v1alpha1/AuthorizationRule.js';
import type { AuthorizationSource as _weft_discovery_v1alpha1_AuthorizationSource, AuthorizationSource__Output as _weft_discovery_v1alpha1_AuthorizationSource__Output } from './weft/discovery/v1alpha1/AuthorizationSource.js';
import type { AuthorizationTarget as _weft_discovery_v1alpha1_AuthorizationTarget, AuthorizationTarget__Output as _weft_discovery_v1alpha1_AuthorizationTarget__Output } from './weft/discovery/v1alpha1/AuthorizationTarget.js';
import type { Backend as _weft_discovery_v1alpha1_Backend, Backend__Output as _weft_discovery_v1alpha1_Backend__Output } from './weft/discovery/v1alpha1/Backend.js';
import type { Backoff as _weft_discovery_v1alpha1_Backoff, Backoff__Output as _weft_discovery_v1alpha1_Backoff__Output } from './weft/discovery/v1alpha1/Backoff.js';
import type { Destination as _weft_discovery_v1alpha1_Destination, Destination__Output as _weft_discovery_v1alpha1_Destination__Output } from './weft/discovery/v1alpha1/Destination.js';
import type { DiscoveryClient as _weft_discovery_v1alpha1_DiscoveryClient, DiscoveryDefinition as _weft_discovery_v1alpha1_DiscoveryDefinition } from './weft/discovery/v1alpha1/Discovery.js';
import type { DiscoveryRequest as _weft_discovery_v1alpha1_DiscoveryRequest, DiscoveryRequest__Output as _weft_discovery_v1alpha1_DiscoveryRequest__Output } from './weft/discovery/v1alpha1/DiscoveryRequest.js';
import type { DiscoveryResponse as _weft_discovery_v1alpha1_DiscoveryResponse, DiscoveryResponse__Output as _weft_discovery_v1alpha1_DiscoveryResponse__Output } from './weft/discovery/v1alpha1/DiscoveryResponse.js';
import type { DnsRecord as _weft_discovery_v1alpha1_DnsRecord, DnsRecord__Output as _weft_discovery_v1alpha1_DnsRecord__Output } from './weft/discovery/v1alpha1/DnsRecord.js';
import type { DoesNotExist as _weft_discovery_v1alpha1_DoesNotExist, DoesNotExist__Output as _weft_discovery_v1alpha1_DoesNotExist__Output } from './weft/discovery/v1alpha1/DoesNotExist.js';
import type { Endpoint as _weft_discovery_v1alpha1_Endpoint, Endpoint__Output as _weft_discovery_v1alpha1_Endpoint__Output } from './weft/discovery/v1alpha1/Endpoint.js';
import type { GatewayBackend as _weft_discovery_v1alpha1_GatewayBackend, GatewayBackend__Output as _weft_discovery_v1alpha1_GatewayBackend__Output } from './weft/discovery/v1alpha1/GatewayBackend.js';
import type { GatewayCertificate as _weft_discovery_v1alpha1_GatewayCertificate, GatewayCertificate__Output as _weft_discovery_v1alpha1_GatewayCertificate__Output } from './weft/discovery/v1alpha1/GatewayCertificate.js';
import type { GatewayConfig as _weft_discovery_v1alpha1_GatewayConfig, GatewayConfig__Output as _weft_discovery_v1alpha1_GatewayConfig__Output } from './weft/discovery/v1alpha1/GatewayConfig.js';
import type { GatewayFilter as _weft_discovery_v1alpha1_GatewayFilter, GatewayFilter__Output as _weft_discovery_v1alpha1_GatewayFilter__Output } from './weft/discovery/v1alpha1/GatewayFilter.js';
import type { GatewayHeader as _weft_discovery_v1alpha1_GatewayHeader, GatewayHeader__Output as _weft_discovery_v1alpha1_GatewayHeader__Output } from './weft/discovery/v1alpha1/GatewayHeader.js';
import type { GatewayHeaderModifier as _weft_discovery_v1alpha1_GatewayHeaderModifier, GatewayHeaderModifier__Output as _weft_discovery_v1alpha1_GatewayHeaderModifier__Output } from './weft/discovery/v1alpha1/GatewayHeaderModifier.js';
import type { GatewayListener as _weft_discovery_v1alpha1_GatewayListener, GatewayListener__Output as _weft_discovery_v1alpha1_GatewayListener__Output } from './weft/discovery/v1alpha1/GatewayListener.js';
import type { GatewayPathModifier as _weft_discovery_v1alpha1_GatewayPathModifier, GatewayPathModifier__Output as _weft_discovery_v1alpha1_GatewayPathModifier__Output } from './weft/discovery/v1alpha1/GatewayPathModifier.js';
import type { GatewayRequestMirror as _weft_discovery_v1alpha1_GatewayRequestMirror, GatewayRequestMirror__Output as _weft_discovery_v1alpha1_GatewayRequestMirror__Output } from './weft/discovery/v1alpha1/GatewayRequestMirror.js';
import type { GatewayRequestRedirect as _weft_discovery_v1alpha1_GatewayRequestRedirect, GatewayRequestRedirect__Output as _weft_discovery_v1alpha1_GatewayRequestRedirect__Output } from './weft/discovery/v1alpha1/GatewayRequestRedirect.js';
import type { GatewayRoute as _weft_discovery_v1alpha1_GatewayRoute, GatewayRoute__Output as _weft_discovery_v1alpha1_GatewayRoute__Output } from './weft/discovery/v1alpha1/GatewayRoute.js';
import type { GatewayUrlRewrite as _weft_discovery_v1alpha1_GatewayUrlRewrite, GatewayUrlRewrite__Output as _weft_discovery_v1alpha1_GatewayUrlRewrite__Output } from './weft/discovery/v1alpha1/GatewayUrlRewrite.js';
import type { HeaderMatch as _weft_discovery_v1alpha1_HeaderMatch, HeaderMatch__Output as _weft_discovery_v1alpha1_HeaderMatch__Output } from './weft/discovery/v1alpha1/HeaderMatch.js';
import type { InboundPolicy as _weft_discovery_v1alpha1_InboundPolicy, InboundPolicy__Output as _weft_discovery_v1alpha1_InboundPolicy__Output } from './weft/discovery/v1alpha1/InboundPolicy.js';
import type { InboundPort as _weft_discovery_v1alpha1_InboundPort, InboundPort__Output as _weft_discovery_v1alpha1_InboundPort__Output } from './weft/discovery/v1alpha1/InboundPort.js';
import type { InboundPortPolicy as _weft_discovery_v1alpha1_InboundPortPolicy, InboundPortPolicy__Output as _weft_discovery_v1alpha1_InboundPortPolicy__Output } from './weft/discovery/v1alpha1/InboundPortPolicy.js';
import type { Limits as _weft_discovery_v1alpha1_Limits, Limits__Output as _weft_discovery_v1alpha1_Limits__Output } from './weft/discovery/v1alpha1/Limits.js';
import type { MeshConfig as _weft_discovery_v1alpha1_MeshConfig, MeshConfig__Output as _weft_discovery_v1alpha1_MeshConfig__Output } from './weft/discovery/v1alpha1/MeshConfig.js';
import type { MeshedEndpoint as _weft_discovery_v1alpha1_MeshedEndpoint, MeshedEndpoint__Output as _weft_discovery_v1alpha1_MeshedEndpoint__Output } from './weft/discovery/v1alpha1/MeshedEndpoint.js';
import type { Nack as _weft_discovery_v1alpha1_Nack, Nack__Output as _weft_discovery_v1alpha1_Nack__Output } from './weft/discovery/v1alpha1/Nack.js';
import type { Node as _weft_discovery_v1alpha1_Node, Node__Output as _weft_discovery_v1alpha1_Node__Output } from './weft/discovery/v1alpha1/Node.js';
import type { OutlierDetection as _weft_discovery_v1alpha1_OutlierDetection, OutlierDetection__Output as _weft_discovery_v1alpha1_OutlierDetection__Output } from './weft/discovery/v1alpha1/OutlierDetection.js';
import type { PathMatch as _weft_discovery_v1alpha1_PathMatch, PathMatch__Output as _weft_discovery_v1alpha1_PathMatch__Output } from './weft/discovery/v1alpha1/PathMatch.js';
import type { PathNormalization as _weft_discovery_v1alpha1_PathNormalization, PathNormalization__Output as _weft_discovery_v1alpha1_PathNormalization__Output } from './weft/discovery/v1alpha1/PathNormalization.js';
import type { QueryMatch as _weft_discovery_v1alpha1_QueryMatch, QueryMatch__Output as _weft_discovery_v1alpha1_QueryMatch__Output } from './weft/discovery/v1alpha1/QueryMatch.js';
import type { RejectedVersion as _weft_discovery_v1alpha1_RejectedVersion, RejectedVersion__Output as _weft_discovery_v1alpha1_RejectedVersion__Output } from './weft/discovery/v1alpha1/RejectedVersion.js';
import type { Resource as _weft_discovery_v1alpha1_Resource, Resource__Output as _weft_discovery_v1alpha1_Resource__Output } from './weft/discovery/v1alpha1/Resource.js';
import type { RetryBudget as _weft_discovery_v1alpha1_RetryBudget, RetryBudget__Output as _weft_discovery_v1alpha1_RetryBudget__Output } from './weft/discovery/v1alpha1/RetryBudget.js';
import type { RetryPolicy as _weft_discovery_v1alpha1_RetryPolicy, RetryPolicy__Output as _weft_discovery_v1alpha1_RetryPolicy__Output } from './weft/discovery/v1alpha1/RetryPolicy.js';
import type { Route as _weft_discovery_v1alpha1_Route, Route__Output as _weft_discovery_v1alpha1_Route__Output } from './weft/discovery/v1alpha1/Route.js';
import type { RouteMatch as _weft_discovery_v1alpha1_RouteMatch, RouteMatch__Output as _weft_discovery_v1alpha1_RouteMatch__Output } from './weft/discovery/v1alpha1/RouteMatch.js';
import type { Subscribe as _weft_discovery_v1alpha1_Subscribe, Subscribe__Output as _weft_discovery_v1alpha1_Subscribe__Output } from './weft/discovery/v1alpha1/Subscribe.js';
import type { Timeouts as _weft_discovery_v1alpha1_Timeouts, Timeouts__Output as _weft_discovery_v1alpha1_Timeouts__Output } from './weft/discovery/v1alpha1/Timeouts.js';
import type { Tracing as _weft_discovery_v1alpha1_Tracing, Tracing__Output as _weft_discovery_v1alpha1_Tracing__Output } from './weft/discovery/v1alpha1/Tracing.js';
import type { TrafficPolicy as _weft_discovery_v1alpha1_TrafficPolicy, TrafficPolicy__Output as _weft_discovery_v1alpha1_TrafficPolicy__Output } from './weft/discovery/v1alpha1/TrafficPolicy.js';
import type { Unsubscribe as _weft_discovery_v1alpha1_Unsubscribe, Unsubscribe__Output as _weft_discovery_v1alpha1_Unsubscribe__Output } from './weft/discovery/v1alpha1/Unsubscribe.js';
import type { WeightedBackend as _weft_discovery_v1alpha1_WeightedBackend, WeightedBackend__Output as _weft_discovery_v1alpha1_WeightedBackend__Output } from './weft/discovery/v1alpha1/WeightedBackend.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  google: {
    protobuf: {
      Duration: MessageTypeDefinition<_google_protobuf_Duration, _google_protobuf_Duration__Output>
    }
  }
  weft: {
    discovery: {
      v1alpha1: {
        Ack: MessageTypeDefinition<_weft_discovery_v1alpha1_Ack, _weft_discovery_v1alpha1_Ack__Output>
        AuthorizationAction: EnumTypeDefinition
        AuthorizationRule: MessageTypeDefinition<_weft_discovery_v1alpha1_AuthorizationRule, _weft_discovery_v1alpha1_AuthorizationRule__Output>
        AuthorizationSource: MessageTypeDefinition<_weft_discovery_v1alpha1_AuthorizationSource, _weft_discovery_v1alpha1_AuthorizationSource__Output>
        AuthorizationTarget: MessageTypeDefinition<_weft_discovery_v1alpha1_AuthorizationTarget, _weft_discovery_v1alpha1_AuthorizationTarget__Output>
        Backend: MessageTypeDefinition<_weft_discovery_v1alpha1_Backend, _weft_discovery_v1alpha1_Backend__Output>
        Backoff: MessageTypeDefinition<_weft_discovery_v1alpha1_Backoff, _weft_discovery_v1alpha1_Backoff__Output>
        BackslashAction: EnumTypeDefinition
        DefaultAction: EnumTypeDefinition
        Destination: MessageTypeDefinition<_weft_discovery_v1alpha1_Destination, _weft_discovery_v1alpha1_Destination__Output>
        Discovery: SubtypeConstructor<typeof grpc.Client, _weft_discovery_v1alpha1_DiscoveryClient> & { service: _weft_discovery_v1alpha1_DiscoveryDefinition }
        DiscoveryRequest: MessageTypeDefinition<_weft_discovery_v1alpha1_DiscoveryRequest, _weft_discovery_v1alpha1_DiscoveryRequest__Output>
        DiscoveryResponse: MessageTypeDefinition<_weft_discovery_v1alpha1_DiscoveryResponse, _weft_discovery_v1alpha1_DiscoveryResponse__Output>
        DnsRecord: MessageTypeDefinition<_weft_discovery_v1alpha1_DnsRecord, _weft_discovery_v1alpha1_DnsRecord__Output>
        DoesNotExist: MessageTypeDefinition<_weft_discovery_v1alpha1_DoesNotExist, _weft_discovery_v1alpha1_DoesNotExist__Output>
        Endpoint: MessageTypeDefinition<_weft_discovery_v1alpha1_Endpoint, _weft_discovery_v1alpha1_Endpoint__Output>
        EscapedSlashAction: EnumTypeDefinition
        ForwardedPath: EnumTypeDefinition
        GatewayBackend: MessageTypeDefinition<_weft_discovery_v1alpha1_GatewayBackend, _weft_discovery_v1alpha1_GatewayBackend__Output>
        GatewayCertificate: MessageTypeDefinition<_weft_discovery_v1alpha1_GatewayCertificate, _weft_discovery_v1alpha1_GatewayCertificate__Output>
        GatewayConfig: MessageTypeDefinition<_weft_discovery_v1alpha1_GatewayConfig, _weft_discovery_v1alpha1_GatewayConfig__Output>
        GatewayFilter: MessageTypeDefinition<_weft_discovery_v1alpha1_GatewayFilter, _weft_discovery_v1alpha1_GatewayFilter__Output>
        GatewayHeader: MessageTypeDefinition<_weft_discovery_v1alpha1_GatewayHeader, _weft_discovery_v1alpha1_GatewayHeader__Output>
        GatewayHeaderModifier: MessageTypeDefinition<_weft_discovery_v1alpha1_GatewayHeaderModifier, _weft_discovery_v1alpha1_GatewayHeaderModifier__Output>
        GatewayListener: MessageTypeDefinition<_weft_discovery_v1alpha1_GatewayListener, _weft_discovery_v1alpha1_GatewayListener__Output>
        GatewayListenerProtocol: EnumTypeDefinition
        GatewayPathModifier: MessageTypeDefinition<_weft_discovery_v1alpha1_GatewayPathModifier, _weft_discovery_v1alpha1_GatewayPathModifier__Output>
        GatewayRequestMirror: MessageTypeDefinition<_weft_discovery_v1alpha1_GatewayRequestMirror, _weft_discovery_v1alpha1_GatewayRequestMirror__Output>
        GatewayRequestRedirect: MessageTypeDefinition<_weft_discovery_v1alpha1_GatewayRequestRedirect, _weft_discovery_v1alpha1_GatewayRequestRedirect__Output>
        GatewayRoute: MessageTypeDefinition<_weft_discovery_v1alpha1_GatewayRoute, _weft_discovery_v1alpha1_GatewayRoute__Output>
        GatewayUrlRewrite: MessageTypeDefinition<_weft_discovery_v1alpha1_GatewayUrlRewrite, _weft_discovery_v1alpha1_GatewayUrlRewrite__Output>
        HeaderMatch: MessageTypeDefinition<_weft_discovery_v1alpha1_HeaderMatch, _weft_discovery_v1alpha1_HeaderMatch__Output>
        InboundPolicy: MessageTypeDefinition<_weft_discovery_v1alpha1_InboundPolicy, _weft_discovery_v1alpha1_InboundPolicy__Output>
        InboundPort: MessageTypeDefinition<_weft_discovery_v1alpha1_InboundPort, _weft_discovery_v1alpha1_InboundPort__Output>
        InboundPortPolicy: MessageTypeDefinition<_weft_discovery_v1alpha1_InboundPortPolicy, _weft_discovery_v1alpha1_InboundPortPolicy__Output>
        Limits: MessageTypeDefinition<_weft_discovery_v1alpha1_Limits, _weft_discovery_v1alpha1_Limits__Output>
        LoadBalancer: EnumTypeDefinition
        MeshConfig: MessageTypeDefinition<_weft_discovery_v1alpha1_MeshConfig, _weft_discovery_v1alpha1_MeshConfig__Output>
        MeshedEndpoint: MessageTypeDefinition<_weft_discovery_v1alpha1_MeshedEndpoint, _weft_discovery_v1alpha1_MeshedEndpoint__Output>
        MtlsMode: EnumTypeDefinition
        Nack: MessageTypeDefinition<_weft_discovery_v1alpha1_Nack, _weft_discovery_v1alpha1_Nack__Output>
        Node: MessageTypeDefinition<_weft_discovery_v1alpha1_Node, _weft_discovery_v1alpha1_Node__Output>
        OutlierDetection: MessageTypeDefinition<_weft_discovery_v1alpha1_OutlierDetection, _weft_discovery_v1alpha1_OutlierDetection__Output>
        PathMatch: MessageTypeDefinition<_weft_discovery_v1alpha1_PathMatch, _weft_discovery_v1alpha1_PathMatch__Output>
        PathNormalization: MessageTypeDefinition<_weft_discovery_v1alpha1_PathNormalization, _weft_discovery_v1alpha1_PathNormalization__Output>
        Protocol: EnumTypeDefinition
        QueryMatch: MessageTypeDefinition<_weft_discovery_v1alpha1_QueryMatch, _weft_discovery_v1alpha1_QueryMatch__Output>
        RejectedVersion: MessageTypeDefinition<_weft_discovery_v1alpha1_RejectedVersion, _weft_discovery_v1alpha1_RejectedVersion__Output>
        Resource: MessageTypeDefinition<_weft_discovery_v1alpha1_Resource, _weft_discovery_v1alpha1_Resource__Output>
        RetryBudget: MessageTypeDefinition<_weft_discovery_v1alpha1_RetryBudget, _weft_discovery_v1alpha1_RetryBudget__Output>
        RetryPolicy: MessageTypeDefinition<_weft_discovery_v1alpha1_RetryPolicy, _weft_discovery_v1alpha1_RetryPolicy__Output>
        Route: MessageTypeDefinition<_weft_discovery_v1alpha1_Route, _weft_discovery_v1alpha1_Route__Output>
        RouteMatch: MessageTypeDefinition<_weft_discovery_v1alpha1_RouteMatch, _weft_discovery_v1alpha1_RouteMatch__Output>
        SlashMerge: EnumTypeDefinition
        Subscribe: MessageTypeDefinition<_weft_discovery_v1alpha1_Subscribe, _weft_discovery_v1alpha1_Subscribe__Output>
        Timeouts: MessageTypeDefinition<_weft_discovery_v1alpha1_Timeouts, _weft_discovery_v1alpha1_Timeouts__Output>
        Tracing: MessageTypeDefinition<_weft_discovery_v1alpha1_Tracing, _weft_discovery_v1alpha1_Tracing__Output>
        TrafficPolicy: MessageTypeDefinition<_weft_discovery_v1alpha1_TrafficPolicy, _weft_discovery_v1alpha1_TrafficPolicy__Output>
        Unsubscribe: MessageTypeDefinition<_weft_discovery_v1alpha1_Unsubscribe, _weft_discovery_v1alpha1_Unsubscribe__Output>
        WeightedBackend: MessageTypeDefinition<_weft_discovery_v1alpha1_WeightedBackend, _weft_discovery_v1alpha1_WeightedBackend__Output>
      }
    }
  }
}

