/**
 * The control plane: sources -> MeshState -> Discovery (and Identity) on one gRPC server, plus
 * the admin server. Thin wiring; every decision lives in the parts.
 */

import {
  Server,
  type ServerCredentials,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { type Clock, describeError, systemClock, WeftError } from '@weft/core';
import { type Logger, silentLogger } from '@weft/runtime';
import { AdminServer, type ReadyCheck } from './admin/admin-server.js';
import { coalescedGather, gatherProxyMetrics } from './admin/proxy-metrics.js';
import { type DashboardOptions, dashboardFor } from './dashboard/dashboard-wiring.js';
import {
  DiscoveryService,
  type DrainOptions,
  type ProxyCertificate,
  type Registrar,
} from './discovery/discovery-service.js';
import { certificateIdentity, type PeerIdentity } from './discovery/peer-identity.js';
import type { RegistrationAuthorizer } from './discovery/registration-authorizer.js';
import type { GatewayStatusChange, IngressProblemChange } from './gateway/gateway-model.js';
import { redactGatewayConfig } from './gateway/redact.js';
import { logGatewayStatuses, logIngressProblems } from './gateway/status-log.js';
import { ControlPlaneMetrics } from './metrics.js';
import { type ChangeSet, MeshState } from './model/mesh-state.js';
import { type MeshTrust, ResourceBuilder } from './model/resource-builder.js';
import { snapshotOf } from './model/snapshot.js';
import { type ConfigSource, refKey, type SourceEvent } from './sources/config-source.js';
import type { StatusReporter } from './status/status-reporter.js';
import type { TracerSource } from './telemetry/control-plane-tracing.js';

/** A gRPC service to host beside Discovery (Identity). */
export interface GrpcService {
  readonly definition: ServiceDefinition;
  readonly handlers: UntypedServiceImplementation;
}

export interface ControlPlaneOptions {
  readonly sources: readonly ConfigSource[];
  /** Receives proxies' registrations (usually also one of `sources`). */
  readonly registrar?: Registrar;
  /** Checks each registration before the registrar sees it (local mode: join tokens name the services). */
  readonly registrationAuthorizer?: RegistrationAuthorizer;
  readonly credentials: ServerCredentials;
  /** host:port of the gRPC server, e.g. "0.0.0.0:7443" ("127.0.0.1:0" in tests). */
  readonly grpcAddress: string;
  /** Admin server; omitted, none runs. */
  readonly admin?: { readonly host: string; readonly port: number };
  readonly services?: readonly GrpcService[];
  /** Adds more services to the gRPC server (e.g. `addIdentityService(server, …)`), before it binds. */
  readonly configureServer?: (server: Server) => void;
  readonly peerIdentity?: PeerIdentity;
  readonly statusReporter?: StatusReporter;
  /** Receives the Gateway API statuses that changed (Kubernetes mode writes them; they are logged anyway). */
  readonly gatewayStatusReporter?: { report(changes: readonly GatewayStatusChange[]): void };
  /** Receives the Ingresses whose problems changed (Kubernetes mode writes Warning Events; they are logged anyway). */
  readonly ingressProblemReporter?: { report(changes: readonly IngressProblemChange[]): void };
  /**
   * SPIFFE IDs allowed to receive the ingress gateway config (`--gateway-identity`); default
   * `spiffe://<trust domain>/ns/weft-system/sa/weft-gateway`.
   */
  readonly gatewayIdentities?: readonly string[];
  /** The ingress gateway's Service, "namespace/name" (see MeshStateOptions.gatewayService). */
  readonly gatewayService?: string;
  /** Called after every applied batch of source events (e.g. the NetworkPolicy controller). */
  readonly onApplied?: (change: ChangeSet) => void;
  /** Extra readiness checks (e.g. the CA is loaded). */
  readonly readyChecks?: () => readonly ReadyCheck[];
  readonly logger?: Logger;
  readonly metrics?: ControlPlaneMetrics;
  readonly clock?: Clock;
  readonly clusterDomain?: string;
  /** The CA's trust domain (the default when no mesh config names one). */
  readonly trustDomain?: string;
  readonly maxBlockedRounds?: number;
  /** Subscriptions one discovery stream may hold (more ends that stream, counted); default 10,000. */
  readonly maxSubscriptions?: number;
  /** Spans for pushes (the binary's tracing); none without it. */
  readonly tracer?: TracerSource;
  /** The dashboard API on the admin port (`/dashboard/v1/…`); served unless `false`. */
  readonly dashboard?: DashboardOptions | false;
  /** Max age of a discovery stream (jittered ±10%); default 30 minutes, 0 never. */
  readonly maxStreamAgeMs?: number;
  /**
   * On close, open discovery streams are ended in batches over this long (each proxy told to
   * reconnect now, to another replica); default 0: all at once.
   */
  readonly shutdownDrain?: DrainOptions;
  /** Who leads (for /debug/state); the status reporter is gated on it by the caller. */
  readonly leadership?: { debug(): unknown };
  /** The trust material announced in the mesh config (proxies renew when theirs differs). */
  readonly meshTrust?: () => MeshTrust;
  /** `/debug/identity` on the admin port: the trust-anchor rotation report over the connected proxies. */
  readonly debugIdentity?: (proxies: readonly ProxyCertificate[]) => unknown;
}

/** Where the servers listen once started. */
export interface ControlPlaneAddresses {
  readonly grpcPort: number;
  readonly adminPort: number | undefined;
}

export class ControlPlane {
  readonly state: MeshState;
  readonly builder: ResourceBuilder;
  readonly discovery: DiscoveryService;
  readonly metrics: ControlPlaneMetrics;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly server = new Server({ 'grpc.max_receive_message_length': 4 * 1024 * 1024 });
  private admin: AdminServer | undefined;
  private readonly invalid = new Set<string>();
  private started = false;

  constructor(private readonly options: ControlPlaneOptions) {
    this.logger = options.logger ?? silentLogger();
    this.clock = options.clock ?? systemClock;
    this.metrics = options.metrics ?? new ControlPlaneMetrics();
    this.state = new MeshState({
      ...(options.clusterDomain === undefined ? {} : { clusterDomain: options.clusterDomain }),
      ...(options.gatewayService === undefined ? {} : { gatewayService: options.gatewayService }),
    });
    this.builder = new ResourceBuilder(this.state, options.meshTrust);
    this.discovery = new DiscoveryService({
      state: this.state,
      builder: this.builder,
      peerIdentity: options.peerIdentity ?? certificateIdentity,
      metrics: this.metrics,
      logger: this.logger.child({ part: 'discovery' }),
      clock: this.clock,
      ...(options.registrar === undefined ? {} : { registrar: options.registrar }),
      ...(options.registrationAuthorizer === undefined
        ? {}
        : { registrationAuthorizer: options.registrationAuthorizer }),
      ...(options.maxBlockedRounds === undefined ? {} : { maxBlockedRounds: options.maxBlockedRounds }),
      ...(options.maxSubscriptions === undefined ? {} : { maxSubscriptions: options.maxSubscriptions }),
      ...(options.tracer === undefined ? {} : { tracer: options.tracer }),
      ...(options.maxStreamAgeMs === undefined ? {} : { maxStreamAgeMs: options.maxStreamAgeMs }),
      ...(options.gatewayIdentities === undefined ? {} : { gatewayIdentities: options.gatewayIdentities }),
    });
    this.discovery.register(this.server);
    for (const s of options.services ?? []) this.server.addService(s.definition, s.handlers);
    options.configureServer?.(this.server);
  }

  /**
   * Starts the admin server, syncs every source, then serves gRPC (so no proxy is told
   * "does not exist" about a service merely not read yet).
   */
  async start(): Promise<ControlPlaneAddresses> {
    let adminPort: number | undefined;
    if (this.options.admin !== undefined) {
      this.admin = new AdminServer({
        ...this.options.admin,
        registry: this.metrics.registry,
        ready: () => this.readiness(),
        debugState: () => this.debugState(),
        ...(this.options.debugIdentity === undefined
          ? {}
          : { debugIdentity: () => this.options.debugIdentity?.(this.discovery.proxyCertificates()) }),
        proxyMetrics: coalescedGather(() => gatherProxyMetrics(this.discovery.proxyAdminEndpoints())),
        ...(this.options.dashboard === false
          ? {}
          : { dashboard: dashboardFor(this, this.options.dashboard) }),
        logger: this.logger,
      });
      adminPort = await this.admin.listen().catch((err: unknown) => {
        throw new WeftError(
          'UNAVAILABLE',
          `admin server cannot listen on ${this.options.admin?.host}:${this.options.admin?.port}: ${describeError(err)}`,
          { cause: err },
        );
      });
    }
    await Promise.all(this.options.sources.map((s) => s.start((events) => this.apply(events))));
    const grpcPort = await new Promise<number>((resolve, reject) => {
      this.server.bindAsync(this.options.grpcAddress, this.options.credentials, (err, port) => {
        if (err === null) resolve(port);
        else
          reject(
            new WeftError(
              'UNAVAILABLE',
              `gRPC server cannot listen on ${this.options.grpcAddress}: ${err.message}`,
              { cause: err },
            ),
          );
      });
    });
    this.started = true;
    this.logger.info({ grpcPort, adminPort }, 'control plane serving');
    return { grpcPort, adminPort };
  }

  /** Applies a batch of source events and pushes what changed. */
  apply(events: readonly SourceEvent[]): ChangeSet {
    const at = this.clock.monotonic();
    const change = this.state.apply(events);
    this.builder.invalidate(change);
    this.discovery.publish(change, at);
    this.metrics.stateVersion.set(change.version);
    if (change.conditions.length > 0) {
      for (const c of change.conditions) {
        if (c.condition?.status === 'rejected') this.invalid.add(refKey(c.ref));
        else this.invalid.delete(refKey(c.ref));
      }
      this.metrics.invalidResources.set(this.invalid.size);
      try {
        this.options.statusReporter?.report(change.conditions);
      } catch (err) {
        this.logger.error({ err: describeError(err) }, 'status reporter failed');
      }
    }
    if (change.gatewayStatuses.length > 0) {
      try {
        logGatewayStatuses(change.gatewayStatuses, this.logger.child({ part: 'gateway' }), this.metrics);
        this.options.gatewayStatusReporter?.report(change.gatewayStatuses);
      } catch (err) {
        this.logger.error({ err: describeError(err) }, 'gateway status reporter failed');
      }
    }
    if (change.ingressProblems.length > 0) {
      try {
        logIngressProblems(change.ingressProblems, this.logger.child({ part: 'gateway' }), this.metrics);
        this.options.ingressProblemReporter?.report(change.ingressProblems);
      } catch (err) {
        this.logger.error({ err: describeError(err) }, 'ingress problem reporter failed');
      }
    }
    try {
      this.options.onApplied?.(change);
    } catch (err) {
      this.logger.error({ err: describeError(err) }, 'onApplied hook failed');
    }
    return change;
  }

  /** The identity (anchors or issuer) changed: every proxy gets the new mesh config now. */
  identityChanged(): void {
    this.discovery.publishMesh();
  }

  /** Readiness: every source synced and the gRPC server serving, plus the extra checks. */
  readiness(): ReadyCheck[] {
    return [
      ...this.options.sources.map((s) => ({
        name: `source ${s.name}`,
        ok: s.ready(),
        ...(s.ready() ? {} : { detail: 'initial sync pending' }),
      })),
      { name: 'grpc', ok: this.started, ...(this.started ? {} : { detail: 'not serving yet' }) },
      ...(this.options.readyChecks?.() ?? []),
    ];
  }

  /** The model as JSON for /debug/state. */
  debugState(): unknown {
    return {
      ...snapshotOf(this.state),
      sources: Object.fromEntries(
        this.options.sources.map((s) => [s.name, { ready: s.ready(), ...((s.debug?.() as object) ?? {}) }]),
      ),
      ...(this.options.leadership === undefined ? {} : { leader: this.options.leadership.debug() }),
      // Private keys never leave the gateway config here: certificates are named and fingerprinted.
      gateway: Object.fromEntries(
        this.state.gateway
          .classNames()
          .map((c) => [c, redactGatewayConfig(this.state.gateway.config(c).message)]),
      ),
      proxies: this.discovery.debug(),
    };
  }

  /** Ends streams (in batches, when `shutdownDrain` says so), stops the servers and sources. */
  async close(): Promise<void> {
    if (this.options.shutdownDrain !== undefined) await this.discovery.drain(this.options.shutdownDrain);
    this.discovery.close();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, 2000);
      timer.unref();
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    await Promise.all(this.options.sources.map((s) => s.close()));
    await this.admin?.close();
  }
}
