/** What the request path needs from discovery: answers by name, and the inbound policy. */
import type { Destination__Output, InboundPolicyMessage__Output } from '@weft/api';
import type { TrafficRegistry } from '../traffic/destination-traffic.js';

/** A destination service port as the control plane describes it. */
export type Destination = Destination__Output;
/** One backend (service port) of a destination, with its endpoints. */
export type DestinationBackend = Destination__Output['backends'][number];
/** One endpoint of a backend. */
export type DestinationEndpoint = DestinationBackend['endpoints'][number];
/** The proxy's inbound policy. */
export type InboundPolicy = InboundPolicyMessage__Output;

/** The answer for a subscribed name. */
export type Resolution =
  | { readonly type: 'destination'; readonly destination: Destination }
  /** Not in the mesh: traffic passes through as plain TCP/HTTP (egress). */
  | { readonly type: 'does-not-exist'; readonly reason: string };

/** The outcome of waiting for an answer. */
export type WaitResult = Resolution | { readonly type: 'timeout'; readonly reason: string };

/**
 * Resolves names on demand. Implemented by the discovery client; `lookup` is the hot path
 * (a map read), `wait` subscribes and waits for the first answer up to `timeoutMs`.
 */
export interface DestinationResolver {
  lookup(name: string): Resolution | undefined;
  wait(name: string, timeoutMs: number): Promise<WaitResult>;
  /**
   * Optional: from now on, install each destination's traffic state (compiled when it was
   * pushed) into `registry`, and forget it there when the destination goes. The sidecar calls
   * it once with its registry; without it the registry compiles on first use.
   */
  useTraffic?(registry: TrafficRegistry): void;
}

/** Gives the inbound side its current policy (undefined until the first push). */
export interface InboundPolicySource {
  inboundPolicy(): InboundPolicy | undefined;
}
