/**
 * The sidecar: wires listeners (inbound mTLS/permissive, transparent outbound, explicit
 * upstreams), the HTTP/1 and HTTP/2 machinery with their layer chains, pools, and the admin
 * server. Discovery and certificates are injected (interfaces), so tests and local mode
 * can supply their own.
 */

import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { type Clock, type Random, systemClock, systemRandom } from '@weft/core';
import { type Logger, silentLogger, type TracingController } from '@weft/runtime';
import { AdminServer } from './admin/admin-server.js';
import type { DestinationResolver, InboundPolicySource } from './discovery/resolver.js';
import { Http1Pool } from './http1/pool.js';
import type { Http1ListenerContext } from './http1/server-connection.js';
import { H2Pool } from './http2/h2-pool.js';
import { H2Server } from './http2/h2-server.js';
import { authorize } from './layers/authorize.js';
import { fixedUpstream } from './layers/fixed-upstream.js';
import { forwardToUpstream } from './layers/forward.js';
import { resolveDestination } from './layers/resolve-destination.js';
import { TargetPolicySource } from './layers/target-policy.js';
import { telemetryLayer } from './layers/telemetry.js';
import { type TrafficLayerOptions, trafficLayer } from './layers/traffic.js';
import { chain, type Handler, type Layer } from './layers/types.js';
import { handleInbound, InboundTls } from './listeners/inbound.js';
import { handleOutbound, handleTransparent, upstreamListenerTarget } from './listeners/outbound.js';
import { type OriginalDstReader, type ProtocolSide, type ProxyRuntime, track } from './listeners/runtime.js';
import { type Connector, MeshConnector } from './net/connector.js';
import { guard } from './net/guard.js';
import { fullGc, MemoryReclaimer } from './net/memory-reclaim.js';
import { DEFAULT_H2_LIMITS, type ProxyOptions } from './options.js';
import { IdentityMetrics } from './telemetry/connection-metrics.js';
import { createProxyMetrics, type ProxyMetrics } from './telemetry/proxy-metrics.js';
import { RequestMetrics } from './telemetry/request-metrics.js';
import { ControllerRequestTracing, DISABLED_REQUEST_TRACING } from './telemetry/request-tracing.js';
import { TracingMetrics } from './telemetry/tracing-metrics.js';
import type { CertificateSource } from './tls/certificate-source.js';
import { TlsContexts } from './tls/tls-contexts.js';
import { TrafficRegistry } from './traffic/destination-traffic.js';
import { createTrafficMetrics, TrafficCounters } from './traffic/traffic-metrics.js';

/** What the proxy is given besides its options. */
export interface ProxyDeps {
  readonly certificates: CertificateSource;
  readonly resolver: DestinationResolver;
  readonly policies: InboundPolicySource;
  /** Undefined when discovery has delivered its first config (or there is no control plane). */
  readonly configPending?: () => string | undefined;
  /** /config contents. */
  readonly configSnapshot?: () => unknown;
  readonly originalDst?: OriginalDstReader;
  readonly logger?: Logger;
  readonly random?: Random;
  readonly clock?: Clock;
  /** Replaces the dialer (tests). */
  readonly connector?: Connector;
  /** Request tracing and its accounting (the binary's TracingController); off without it. */
  readonly tracing?: TracingController;
}

/** The ports the proxy actually listens on (after port 0 was resolved). */
export interface ListeningPorts {
  readonly inbound: number;
  readonly outbound: number;
  readonly admin: number;
  /** The probe-only admin listener on `adminProbeHost` (same port as `admin`), when configured. */
  readonly adminProbe?: number;
  /** Explicit upstream listeners by authority. */
  readonly upstreams: Readonly<Record<string, number>>;
  /** The DNS proxy's port (UDP and TCP), when it runs. */
  readonly dns?: number;
}

/**
 * Stream buffer size of every proxied socket. Node's 16 KiB default makes a relay pause and
 * resume on nearly every 64 KiB read (one 'drain' round trip each), which caps opaque TCP
 * throughput; 256 KiB lets a full read go through without stalling.
 */
export const SOCKET_HWM = 256 * 1024;

export class Sidecar {
  readonly metrics: ProxyMetrics;
  /** The path-normalization policy; replaced when the control plane pushes a mesh config. */
  readonly targets: TargetPolicySource;
  private readonly runtime: ProxyRuntime;
  private readonly tls: TlsContexts;
  private readonly pools: { outbound: Http1Pool; inbound: Http1Pool; h2: H2Pool };
  private readonly servers: Server[] = [];
  private readonly admin: AdminServer;
  private readonly adminProbe: AdminServer | undefined;
  private readonly logger: Logger;
  private readonly reclaimer: MemoryReclaimer;
  private draining: Promise<void> | undefined;
  /** The inbound mTLS server (weft.2 connections are told to go away on drain). */
  private inboundTls: InboundTls | undefined;
  /** The connector, unless the deps brought their own (its weft.2 connections close on drain). */
  private readonly meshConnector: MeshConnector | undefined;
  /** Called when /shutdown is requested (the CLI exits after drain). */
  onShutdownRequest: () => void = () => {};
  /** Builds extra HTTP sides (the ingress gateway's); set in the constructor. */
  private readonly makeSide: (
    layers: readonly Layer[],
    adjust?: TrafficLayerOptions['adjust'],
  ) => ProtocolSide;
  /** Sides built by {@link gatewaySide}, drained with the others. */
  private readonly extraSides: ProtocolSide[] = [];
  /** The outbound path without a client connection: see {@link ownRequests}. */
  private readonly ownHandler: Handler;

  constructor(
    readonly options: ProxyOptions,
    private readonly deps: ProxyDeps,
  ) {
    this.logger = deps.logger ?? silentLogger();
    const sockets = new Set<Socket>();
    this.metrics = createProxyMetrics(() => sockets.size);
    this.targets = new TargetPolicySource(this.metrics);
    const reclaims = this.metrics.registry.counter(
      'weft_proxy_memory_reclaims_total',
      'Full GCs requested after a connection storm drained.',
    );
    this.reclaimer = new MemoryReclaimer({
      minPeak: 1000,
      delayMs: 1000,
      gc: options.hardening.reclaimMemory ? fullGc() : undefined,
      onReclaim: () => reclaims.inc(),
    });
    this.tls = new TlsContexts(deps.certificates);
    this.metrics.registry.register(new IdentityMetrics(this.tls));
    const mesh =
      deps.connector === undefined
        ? new MeshConnector({
            tls: this.tls,
            metrics: this.metrics,
            connectTimeoutMs: options.connectTimeoutMs,
            weft2: options.weft2,
          })
        : undefined;
    this.meshConnector = mesh;
    const connector: Connector = deps.connector ?? (mesh as MeshConnector);
    const limits = { maxHeadBytes: options.hardening.maxHeadBytes, maxHeaders: options.hardening.maxHeaders };
    const poolOptions = {
      connector,
      limits: { maxHeadBytes: 64 * 1024, maxHeaders: 256 },
      metrics: this.metrics,
      maxIdlePerTarget: 256,
      idleTimeoutMs: 60_000,
    };
    this.pools = {
      outbound: new Http1Pool(poolOptions),
      inbound: new Http1Pool(poolOptions),
      h2: new H2Pool({
        connector,
        metrics: this.metrics.h2,
        limits: options.hardening.h2 ?? DEFAULT_H2_LIMITS,
        maxHeaderListSize: poolOptions.limits.maxHeadBytes,
      }),
    };
    const random = deps.random ?? systemRandom;
    const tracing = deps.tracing;
    if (tracing !== undefined) this.metrics.registry.register(new TracingMetrics(() => tracing.stats()));
    const telemetry = telemetryLayer({
      tracing: tracing === undefined ? DISABLED_REQUEST_TRACING : new ControllerRequestTracing(tracing),
      metrics: this.metrics.registry.register(new RequestMetrics()),
    });
    const clock = deps.clock ?? systemClock;
    const trafficMetrics = createTrafficMetrics(this.metrics.registry);
    const traffic = new TrafficRegistry({
      clock,
      random,
      metrics: trafficMetrics,
      onRejected: (authority, err) => {
        trafficMetrics.configRejected.inc({ authority });
        this.logger.warn({ authority, err }, 'traffic config rejected; keeping the last good one');
      },
    });
    // Destinations are compiled when pushed and installed here by discovery, not on the request path.
    deps.resolver.useTraffic?.(traffic);
    // Metric handles resolved once per backend and label, not per request.
    const counters = new TrafficCounters(trafficMetrics);
    const forward = forwardToUpstream({ clock, random, counters });
    const outboundHandler: Handler = chain(
      [
        telemetry,
        resolveDestination({ resolver: deps.resolver, waitTimeoutMs: options.discoveryWaitMs }),
        trafficLayer({ registry: traffic, clock, random, counters }),
      ],
      forward,
    );
    const inboundHandler: Handler = chain(
      [telemetry, authorize(deps.policies, this.metrics), fixedUpstream],
      forward,
    );
    const side = (direction: 'outbound' | 'inbound', handler: Handler, pool: Http1Pool) => {
      const http1: Http1ListenerContext = {
        limits,
        handler,
        pool,
        direction,
        metrics: this.metrics,
        headersTimeoutMs: options.hardening.headersTimeoutMs,
        idleTimeoutMs: options.hardening.idleTimeoutMs,
        requestTimeoutMs: options.hardening.requestTimeoutMs,
        maxBufferBytes: options.hardening.maxConnectionBufferBytes,
        live: new Set(),
        targets: this.targets,
      };
      const h2 = new H2Server({
        handler,
        pool: this.pools.h2,
        metrics: this.metrics,
        maxHeaderListSize: options.hardening.maxHeadBytes,
        targets: this.targets,
        limits: options.hardening.h2 ?? DEFAULT_H2_LIMITS,
        idleTimeoutMs: options.hardening.idleTimeoutMs,
      });
      return { http1, h2 };
    };
    const resolve = resolveDestination({ resolver: deps.resolver, waitTimeoutMs: options.discoveryWaitMs });
    const trafficPath = trafficLayer({ registry: traffic, clock, random, counters });
    this.makeSide = (layers, adjust) => {
      const path =
        adjust === undefined
          ? trafficPath
          : trafficLayer({ registry: traffic, clock, random, counters, adjust });
      return side('outbound', chain([telemetry, ...layers, resolve, path], forward), this.pools.outbound);
    };
    this.ownHandler = chain([resolve, trafficPath], forward);
    this.runtime = {
      options,
      metrics: this.metrics,
      tls: this.tls,
      connector,
      resolver: deps.resolver,
      policies: deps.policies,
      random,
      traffic,
      outbound: side('outbound', outboundHandler, this.pools.outbound),
      inbound: side('inbound', inboundHandler, this.pools.inbound),
      originalDst: deps.originalDst,
      sockets,
    };
    const adminSource = {
      notReadyReason: () => this.notReadyReason(),
      metrics: () => this.metrics.registry.render(),
      config: () => deps.configSnapshot?.() ?? {},
      shutdown: () => this.onShutdownRequest(),
    };
    this.admin = new AdminServer(adminSource, 'full');
    this.adminProbe = options.adminProbeHost === '' ? undefined : new AdminServer(adminSource, 'probes');
  }

  /** Why the proxy is not ready yet, or undefined. */
  notReadyReason(): string | undefined {
    if (this.draining !== undefined) return 'draining';
    if (!this.tls.ready) return 'no workload certificate yet';
    return this.deps.configPending?.();
  }

  /**
   * An HTTP side for the ingress gateway (`weft gateway`): `layers` run after telemetry and
   * before the outbound path (resolve, traffic, mTLS to the mesh), so gateway requests take the
   * same traffic layer as a sidecar's outbound ones (`adjust`: the route's own timeouts and
   * retries over the backend service's). Drained with the sidecar's own sides.
   */
  gatewaySide(layers: readonly Layer[], adjust?: TrafficLayerOptions['adjust']): ProtocolSide {
    const s = this.makeSide(layers, adjust);
    this.extraSides.push(s);
    return s;
  }

  /**
   * The outbound path for requests the proxy makes itself, with no client connection behind them
   * (the gateway's mirror copies): resolve, traffic layer (routes, balancing, retries, timeouts
   * of the destination) and mTLS to the mesh, as for an app's requests, but no request telemetry
   * (there is no client exchange to trace). HTTP/1 exchanges go through the outbound pool.
   */
  ownRequests(): { readonly handler: Handler; readonly pool: Http1Pool; readonly h2Pool: H2Pool } {
    return { handler: this.ownHandler, pool: this.pools.outbound, h2Pool: this.pools.h2 };
  }

  /**
   * Admits a client socket accepted by a listener the proxy does not own (the gateway's): the
   * same total-connection cap, accounting and drain as the proxy's own listeners. False when
   * it was refused (and destroyed).
   */
  admit(listener: string, socket: Socket): boolean {
    guard(socket);
    if (this.runtime.sockets.size >= this.options.hardening.maxTotalConnections) {
      this.metrics.connectionsRefused.inc({ listener, reason: 'max-total-connections' });
      socket.destroy();
      return false;
    }
    this.metrics.connections.inc({ listener });
    this.metrics.transport.accepted(listener, socket);
    track(this.runtime, socket);
    const sockets = this.runtime.sockets;
    this.reclaimer.opened(sockets.size);
    socket.once('close', () => this.reclaimer.closed(sockets.size));
    return true;
  }

  /** Binds every listener; resolves with the ports actually bound. */
  async start(): Promise<ListeningPorts> {
    const o = this.options;
    const rt = this.runtime;
    const mtls = new InboundTls(rt);
    this.inboundTls = mtls;
    const inbound = await this.listen('inbound', o.listenHost, o.inboundPort, (s) =>
      handleInbound(rt, mtls, s),
    );
    const outbound = await this.listen('outbound', o.listenHost, o.outboundPort, (s) =>
      handleTransparent(rt, s),
    );
    const upstreams: Record<string, number> = {};
    for (const u of o.upstreams) {
      const target = upstreamListenerTarget(u.authority);
      upstreams[u.authority] = await this.listen('upstream', u.host, u.port, (s) =>
        handleOutbound(rt, s, target),
      );
    }
    const admin = await this.admin.listen(o.adminHost, o.adminPort);
    // Same port on the pod IP: kubelet probes and Prometheus reach /live, /ready and /metrics only.
    const adminProbe = await this.adminProbe?.listen(o.adminProbeHost, admin);
    this.logger.info({ inbound, outbound, admin, adminProbe, upstreams }, 'proxy listening');
    return { inbound, outbound, admin, ...(adminProbe === undefined ? {} : { adminProbe }), upstreams };
  }

  /**
   * Opens one more upstream listener after start (local-mode DNS: a Service's loopback address
   * and port carry its traffic); resolves with the port bound. Closed with the others on drain.
   */
  listenUpstream(authority: string, host: string, port: number): Promise<number> {
    const target = upstreamListenerTarget(authority);
    return this.listen('upstream', host, port, (s) => handleOutbound(this.runtime, s, target));
  }

  private listen(
    listener: string,
    host: string,
    port: number,
    onSocket: (s: Socket) => void,
  ): Promise<number> {
    const server = createServer(
      { allowHalfOpen: true, pauseOnConnect: true, noDelay: true, highWaterMark: SOCKET_HWM },
      (socket) => {
        guard(socket);
        if (this.admit(listener, socket)) onSocket(socket);
      },
    );
    guard(server);
    server.maxConnections = this.options.hardening.maxConnections;
    server.on('drop', () => this.metrics.connectionsRefused.inc({ listener, reason: 'max-connections' }));
    this.servers.push(server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve((server.address() as AddressInfo).port);
      });
    });
  }

  /**
   * Stops accepting, lets in-flight requests and tunnels finish up to `deadlineMs`, then
   * closes whatever is left. Idempotent.
   */
  drain(deadlineMs = this.options.drainTimeoutMs): Promise<void> {
    this.draining ??= this.doDrain(deadlineMs);
    return this.draining;
  }

  private async doDrain(deadlineMs: number): Promise<void> {
    for (const s of this.servers) s.close();
    this.runtime.outbound.h2.drain();
    this.runtime.inbound.h2.drain();
    for (const side of this.extraSides) side.h2.drain();
    this.pools.outbound.close();
    this.pools.inbound.close();
    // Idle keep-alive connections close now; busy ones close after their response.
    for (const conn of this.runtime.outbound.http1.live) conn.drain();
    for (const conn of this.runtime.inbound.http1.live) conn.drain();
    for (const side of this.extraSides) for (const conn of side.http1.live) conn.drain();
    this.inboundTls?.drain();
    this.meshConnector?.close();
    const start = Date.now();
    while (this.runtime.sockets.size > 0 && Date.now() - start < deadlineMs) {
      await new Promise((r) => setTimeout(r, 25));
    }
    for (const socket of this.runtime.sockets) socket.destroy();
    this.pools.h2.close();
    this.reclaimer.close();
    this.tls.close();
    await this.admin.close();
    await this.adminProbe?.close();
  }

  /** Aborts everything now. */
  async close(): Promise<void> {
    await this.drain(0);
  }
}
