/** What every listener shares: options, metrics, pools, handler chains, and the open-connection set. */
import type { Socket } from 'node:net';
import type { Random } from '@weft/core';
import type { DestinationResolver, InboundPolicySource } from '../discovery/resolver.js';
import type { Http1ListenerContext } from '../http1/server-connection.js';
import type { H2Server } from '../http2/h2-server.js';
import type { Connector } from '../net/connector.js';
import type { ProxyOptions } from '../options.js';
import type { ProxyMetrics } from '../telemetry/proxy-metrics.js';
import type { TlsContexts } from '../tls/tls-contexts.js';
import type { TrafficRegistry } from '../traffic/destination-traffic.js';

/** Reads where an intercepted connection was going (SO_ORIGINAL_DST); undefined when unknown. */
export type OriginalDstReader = (socket: Socket) => { address: string; port: number } | undefined;

/** One side (inbound or outbound) of the proxy's HTTP machinery. */
export interface ProtocolSide {
  readonly http1: Http1ListenerContext;
  readonly h2: H2Server;
}

export interface ProxyRuntime {
  readonly options: ProxyOptions;
  readonly metrics: ProxyMetrics;
  readonly tls: TlsContexts;
  readonly connector: Connector;
  readonly resolver: DestinationResolver;
  readonly policies: InboundPolicySource;
  readonly random: Random;
  /** Per-destination traffic state (routes, balancers, budgets), shared by HTTP and TCP. */
  readonly traffic: TrafficRegistry;
  readonly outbound: ProtocolSide;
  readonly inbound: ProtocolSide;
  readonly originalDst: OriginalDstReader | undefined;
  /** Every client socket currently open (for drain and the open-connections gauge). */
  readonly sockets: Set<Socket>;
}

/** Tracks `socket` in the runtime's open set until it closes. */
export function track(runtime: ProxyRuntime, socket: Socket): void {
  runtime.sockets.add(socket);
  socket.once('close', () => runtime.sockets.delete(socket));
}
