/**
 * The status the translation wants each Gateway API resource to have, before the writer adds
 * observedGeneration and lastTransitionTime (and controllerName on route parents).
 */
import type { ResourceRef } from '../sources/config-source.js';

/** One condition as the Gateway API spells it. */
export interface StatusCondition {
  readonly type: string;
  readonly status: 'True' | 'False';
  readonly reason: string;
  readonly message: string;
}

export interface ListenerStatus {
  readonly name: string;
  readonly supportedKinds: readonly { readonly group: string; readonly kind: string }[];
  readonly attachedRoutes: number;
  readonly conditions: readonly StatusCondition[];
}

export interface RouteParentStatus {
  readonly parentRef: Readonly<Record<string, unknown>>;
  readonly conditions: readonly StatusCondition[];
}

export type GatewayStatusDoc =
  | { readonly kind: 'GatewayClass'; readonly conditions: readonly StatusCondition[] }
  | {
      readonly kind: 'Gateway';
      readonly conditions: readonly StatusCondition[];
      readonly listeners: readonly ListenerStatus[];
      /** Where clients reach the gateway, when known (its Service's load balancer or ClusterIPs). */
      readonly addresses: readonly GatewayAddress[];
    }
  | { readonly kind: 'HTTPRoute' | 'GRPCRoute'; readonly parents: readonly RouteParentStatus[] };

/** A Gateway status address. */
export interface GatewayAddress {
  readonly type: 'IPAddress' | 'Hostname';
  readonly value: string;
}

/** The wanted status of one resource. */
export interface GatewayStatusEntry {
  readonly ref: ResourceRef;
  readonly status: GatewayStatusDoc;
}

/** A problem worth a log line and a metric (a rejected route, a bad listener). */
export interface GatewayProblem {
  readonly resource: string;
  readonly reason: string;
  readonly message: string;
}

export function condition(type: string, ok: boolean, reason: string, message: string): StatusCondition {
  return { type, status: ok ? 'True' : 'False', reason, message };
}
