/**
 * The Discovery gRPC service: one bidirectional stream per proxy, on-demand subscriptions,
 * versioned responses with nonces, ACK/NACK, and deltas fanned out only to the subscribers of
 * what changed.
 */
import { randomUUID } from 'node:crypto';
import type { Server } from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import { type DiscoveryRequest__Output, loadDiscoveryProto, type Node__Output } from '@weft/api';
import {
  type Clock,
  describeError,
  jitter,
  type Logger,
  type Random,
  silentLogger,
  systemClock,
  systemRandom,
} from '@weft/core';
import type { ControlPlaneMetrics } from '../metrics.js';
import type { ChangeSet, MeshState } from '../model/mesh-state.js';
import type { ResourceBuilder } from '../model/resource-builder.js';
import type { Registration } from '../sources/config-source.js';
import { recordNack, recordPush, type TracerSource } from '../telemetry/control-plane-tracing.js';
import { peerAddress, registrationOf, workloadOf } from './node-workload.js';
import type { PeerIdentity, WorkloadIdentity } from './peer-identity.js';
import { ProxySession } from './proxy-session.js';
import { type EnqueueResult, PushQueue, type QueuedUpdate } from './push-queue.js';
import type { RegistrationAuthorizer } from './registration-authorizer.js';
import { resourceFor } from './resource-for.js';
import {
  adminEndpointOf,
  type Call,
  type Connection,
  checkNodeIdentity,
  describeConnection,
  GATEWAY,
  INBOUND,
  MESH,
  type ProxyAdminEndpoint,
  type ProxyCertificate,
  reconnectNowTrailers,
  StreamError,
  streamPeer,
  workloadIdentityOf,
} from './stream-connection.js';
import { WatchIndex } from './watch-index.js';
import { discoveryDefinition, ResponseEncoder } from './wire.js';

export type { ProxyAdminEndpoint, ProxyCertificate } from './stream-connection.js';

/** Anchors a proxy may report (two in a rotation; the cap bounds what a peer makes us hold). */
const MAX_REPORTED_ANCHORS = 8;

/** The DER of the client certificate grpc-js verified, if any. */
function peerLeaf(call: Call): Buffer | undefined {
  const raw = (call.getAuthContext() as { sslPeerCertificate?: { raw?: Buffer } } | null)?.sslPeerCertificate
    ?.raw;
  return raw === undefined ? undefined : Buffer.from(raw);
}

/** Receives proxies' workload announcements (the registrations source). */
export interface Registrar {
  register(registration: Registration): void;
  /** The proxy disconnected; the registration may linger for a grace period. */
  deregister(id: string): void;
}

export interface DiscoveryServiceOptions {
  readonly state: MeshState;
  readonly builder: ResourceBuilder;
  readonly peerIdentity: PeerIdentity;
  readonly metrics: ControlPlaneMetrics;
  readonly registrar?: Registrar;
  /** Checks each registration first (refused: PERMISSION_DENIED); absent only without endpoints, or in tests. */
  readonly registrationAuthorizer?: RegistrationAuthorizer;
  readonly logger?: Logger;
  readonly clock?: Clock;
  /** Subscriptions one stream may hold; default 10,000. */
  readonly maxSubscriptions?: number;
  /** Rounds of updates a blocked stream may fall behind before it is closed; default 64. */
  readonly maxBlockedRounds?: number;
  /** Spans for pushes and NACKs (the binary's tracing); none without it. */
  readonly tracer?: TracerSource;
  /**
   * A stream is ended (proxy told to reconnect now) after this long, jittered ±10%, so that
   * proxies spread over every replica behind the Service; default 30 minutes, 0 never.
   */
  readonly maxStreamAgeMs?: number;
  /** For the max-age jitter. */
  readonly random?: Random;
  /**
   * SPIFFE IDs allowed to receive the gateway config (it carries private keys); default
   * `spiffe://<trust domain>/ns/weft-system/sa/weft-gateway`.
   */
  readonly gatewayIdentities?: readonly string[];
}

/** The gateway identity allowed by default: the weft-gateway service account in weft-system. */
export function defaultGatewayIdentity(trustDomain: string): string {
  return `spiffe://${trustDomain}/ns/weft-system/sa/weft-gateway`;
}

/** Default maximum age of a discovery stream: 30 minutes. */
export const DEFAULT_MAX_STREAM_AGE_MS = 30 * 60_000;

/** How a shutting-down replica ends its streams: `batches` groups spread over `durationMs`. */
export interface DrainOptions {
  readonly durationMs: number;
  readonly batches?: number;
}

export class DiscoveryService {
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly connections = new Map<string, Connection>();
  private readonly watches = new WatchIndex();
  private readonly maxSubscriptions: number;
  private readonly random: Random;
  private draining = false;
  private readonly encoder = new ResponseEncoder((v) =>
    loadDiscoveryProto().weft.discovery.v1alpha1.Discovery.service.Stream.responseSerialize(v),
  );

  constructor(private readonly options: DiscoveryServiceOptions) {
    this.logger = options.logger ?? silentLogger();
    this.clock = options.clock ?? systemClock;
    this.maxSubscriptions = options.maxSubscriptions ?? 10_000;
    this.random = options.random ?? systemRandom;
  }

  /**
   * Adds weft.discovery.v1alpha1.Discovery to `server`, with a response serializer that lets the
   * pre-encoded responses through.
   */
  register(server: Server): void {
    server.addService(discoveryDefinition(), { Stream: (call: Call) => this.open(call) });
  }

  /** Connected proxies. */
  get size(): number {
    return this.connections.size;
  }

  /** Pushes what `change` affects to the subscribers of it. Call after `state.apply` and `builder.invalidate`. */
  publish(change: ChangeSet, changedAt: number = this.clock.monotonic()): void {
    let affected: Map<string, Set<string>>;
    if (change.all) {
      affected = new Map();
      for (const [id, conn] of this.connections) affected.set(id, new Set([MESH, ...conn.watching.keys()]));
    } else {
      affected = this.watches.affected(change.dirty);
    }
    for (const [id, names] of affected) {
      const conn = this.connections.get(id);
      if (conn !== undefined) this.refresh(conn, names, changedAt);
    }
  }

  /** Ends every stream at once (the server is shutting down); {@link drain} first spreads the reconnects. */
  close(): void {
    this.draining = true;
    for (const conn of [...this.connections.values()]) this.fail(conn, shutdownError());
  }

  /**
   * Stops taking streams and ends the open ones in batches spread over `durationMs`, each with
   * "reconnect now", so that the proxies move to the other replicas a batch at a time instead of
   * all at once (a thundering herd of reconnects, and of Certify calls, on the survivors).
   */
  async drain(o: DrainOptions): Promise<void> {
    this.draining = true;
    const conns = [...this.connections.values()];
    const batches = Math.max(1, Math.min(o.batches ?? 10, conns.length));
    const size = Math.ceil(conns.length / batches);
    for (let i = 0; i < conns.length; i += size) {
      if (i > 0) {
        await new Promise<void>((resolve) => this.clock.setTimeout(resolve, o.durationMs / batches));
      }
      for (const conn of conns.slice(i, i + size)) if (!conn.closed) this.fail(conn, shutdownError());
    }
  }

  /** Sizes of the per-stream indexes (connections, watch keys, subscriptions): all 0 once every stream closed. */
  indexSizes(): { connections: number; watchKeys: number; subscriptions: number } {
    let subscriptions = 0;
    for (const conn of this.connections.values()) subscriptions += conn.session.subscriptions.size;
    return { connections: this.connections.size, watchKeys: this.watches.size, subscriptions };
  }

  /** Connected proxies that told their admin port (where `weft stat` gathers metrics). */
  proxyAdminEndpoints(): ProxyAdminEndpoint[] {
    const out: ProxyAdminEndpoint[] = [];
    for (const conn of this.connections.values()) if (conn.admin !== undefined) out.push(conn.admin);
    return out;
  }

  /** Re-sends the mesh config to every stream (the trust material in it changed). */
  publishMesh(changedAt: number = this.clock.monotonic()): void {
    for (const conn of this.connections.values()) this.refresh(conn, new Set([MESH]), changedAt);
  }

  /** Connected proxies' certificates (trust-anchor rotation report). */
  proxyCertificates(): ProxyCertificate[] {
    return [...this.connections.values()].map((c) => ({
      namespace: c.session.workload.namespace,
      workload: c.session.workload.workload,
      identity: c.session.identity.id,
      leaf: c.leaf,
      anchorFingerprints: c.anchorFingerprints,
    }));
  }

  /** Per-proxy state for /debug/state. */
  debug(): unknown[] {
    return [...this.connections.values()].map(describeConnection);
  }

  private open(call: Call): void {
    if (this.draining) {
      this.reject(call, shutdownError());
      return;
    }
    let identity: WorkloadIdentity;
    try {
      identity = workloadIdentityOf(this.options.peerIdentity(call));
    } catch (err) {
      this.reject(call, err as StreamError);
      return;
    }
    let conn: Connection | undefined;
    let refused = false;
    call.on('data', (req: DiscoveryRequest__Output) => {
      if (refused) return;
      try {
        if (conn === undefined) {
          if (req.kind !== 'node' || req.node == null)
            throw new StreamError(status.INVALID_ARGUMENT, 'the first message must be node', 'no-node');
          conn = this.connect(call, identity, req.node);
          return;
        }
        if (conn.closed) return;
        this.handle(conn, req);
      } catch (err) {
        // Internal failures are logged here and never described to the peer.
        const e =
          err instanceof StreamError ? err : new StreamError(status.INTERNAL, 'internal error', 'internal');
        if (e.code === status.INTERNAL)
          this.logger.error({ err: describeError(err) }, 'discovery stream failed');
        refused = true;
        if (conn === undefined) this.reject(call, e);
        else this.fail(conn, e);
      }
    });
    const done = () => {
      if (conn !== undefined) this.disconnect(conn);
    };
    call.on('end', () => {
      done();
      call.end();
    });
    call.on('cancelled', done);
    call.on('error', done);
    call.on('close', done);
  }

  /** Refuses (counted, logged without secrets) a gateway node whose certificate is not a gateway identity. */
  private checkGateway(identity: WorkloadIdentity, node: Node__Output): void {
    if (node.gatewayClass === '') return;
    const allowed = this.options.gatewayIdentities ?? [
      defaultGatewayIdentity(this.options.state.trustDomain),
    ];
    if (allowed.includes(identity.id)) return;
    this.options.metrics.gatewayRefused.inc({ reason: 'identity-not-allowed' });
    this.logger.warn(
      { identity: identity.id, gatewayClass: node.gatewayClass.slice(0, 253), allowed },
      'refused the gateway config to a stream whose identity is not a gateway identity',
    );
    throw new StreamError(
      status.PERMISSION_DENIED,
      `client certificate identity ${identity.id} is not an allowed gateway identity`,
      'gateway-refused',
    );
  }

  private connect(call: Call, identity: WorkloadIdentity, node: Node__Output): Connection {
    checkNodeIdentity(node, identity);
    this.checkGateway(identity, node);
    const workload = workloadOf(identity, node);
    const session = new ProxySession(randomUUID(), identity, workload, node.proxyVersion);
    const address = node.address !== '' ? node.address : peerAddress(call.getPeer());
    const conn: Connection = {
      session,
      admin: adminEndpointOf(identity, node, address),
      call,
      queue: new PushQueue({
        maxPendingNames: this.maxSubscriptions + 2,
        maxBlockedRounds: this.options.maxBlockedRounds ?? 64,
      }),
      watching: new Map(),
      closed: false,
      registered: false,
      leaf: peerLeaf(call),
      anchorFingerprints: node.trustAnchorFingerprints.slice(0, MAX_REPORTED_ANCHORS),
    };
    session.seedRejected(node.rejectedVersions ?? []);
    session.gatewayClass = node.gatewayClass.slice(0, 253);
    this.connections.set(session.id, conn);
    this.options.metrics.connectedProxies.set(this.connections.size);
    const maxAgeMs = this.options.maxStreamAgeMs ?? DEFAULT_MAX_STREAM_AGE_MS;
    if (maxAgeMs > 0) {
      conn.ageTimer = this.clock.setTimeout(
        () => this.fail(conn, maxAgeError()),
        jitter(maxAgeMs, 0.1, this.random),
      );
    }
    call.on('drain', () => {
      conn.queue.unblock();
      this.flush(conn);
    });
    if (this.options.registrar !== undefined && node.workload !== '') {
      const registration = registrationOf(session.id, identity, node, workload, call.getPeer());
      const authorizer = this.options.registrationAuthorizer;
      if (authorizer === undefined) {
        this.options.registrar.register(registration);
        conn.registered = true;
      } else this.authorizeThenRegister(conn, authorizer, node, registration);
    }
    this.logger.debug(
      { proxy: session.id, identity: identity.id, workload: node.workload },
      'proxy connected',
    );
    const pushed = session.gatewayClass === '' ? [MESH, INBOUND] : [MESH, INBOUND, GATEWAY];
    this.refresh(conn, new Set(pushed), this.clock.monotonic());
    return conn;
  }

  /** Registers once the authorizer allows it; a refusal ends the stream (the proxy's config stops too). */
  private authorizeThenRegister(
    conn: Connection,
    authorizer: RegistrationAuthorizer,
    node: Node__Output,
    registration: Registration,
  ): void {
    authorizer.authorize(conn.session.identity, node).then(
      (decision) => {
        if (conn.closed) return;
        if (decision.type === 'allowed') {
          this.options.registrar?.register(registration);
          conn.registered = true;
          return;
        }
        this.options.metrics.registrationsRefused.inc({ reason: decision.reason });
        this.logger.warn(
          { identity: conn.session.identity.id, service: node.service, reason: decision.reason },
          'registration refused',
        );
        this.fail(conn, new StreamError(status.PERMISSION_DENIED, decision.message, 'registration-refused'));
      },
      (err: unknown) => {
        if (conn.closed) return;
        this.logger.error({ err: describeError(err) }, 'registration check failed');
        this.fail(
          conn,
          new StreamError(status.UNAVAILABLE, 'registration check failed', 'registration-check'),
        );
      },
    );
  }

  private handle(conn: Connection, req: DiscoveryRequest__Output): void {
    const { session } = conn;
    switch (req.kind) {
      case 'subscribe': {
        const names = [...new Set(req.subscribe?.names ?? [])].filter(
          (n) => n !== '' && n !== INBOUND && n !== MESH && n !== GATEWAY && !session.subscriptions.has(n),
        );
        if (session.subscriptions.size + names.length > this.maxSubscriptions) {
          throw new StreamError(
            status.RESOURCE_EXHAUSTED,
            `more than ${this.maxSubscriptions} subscriptions on one stream`,
            'too-many-subscriptions',
          );
        }
        for (const name of names)
          session.subscriptions.set(name, this.options.builder.resolve(name, session.identity.namespace));
        this.options.metrics.subscriptions.inc(names.length);
        if (names.length > 0) this.refresh(conn, new Set(names), this.clock.monotonic());
        return;
      }
      case 'unsubscribe': {
        const removals = new Map<string, QueuedUpdate>();
        for (const name of req.unsubscribe?.names ?? []) {
          if (!session.subscriptions.delete(name)) continue;
          this.options.metrics.subscriptions.dec();
          this.watches.unwatch(conn, name);
          const u = session.remove(name);
          if (u !== undefined) removals.set(name, u);
        }
        this.push(conn, removals, this.clock.monotonic());
        return;
      }
      case 'ack': {
        const r = session.ack(req.ack?.nonce ?? '');
        if (r.type === 'ok') this.options.metrics.acks.inc();
        return;
      }
      case 'nack': {
        const detail = (req.nack?.errorDetail ?? '').slice(0, 1024);
        const r = session.nack(req.nack?.nonce ?? '', detail);
        if (r.type !== 'ok') return;
        this.options.metrics.nacks.inc();
        if (this.options.tracer !== undefined) {
          recordNack(this.options.tracer(), streamPeer(conn), req.nack?.nonce ?? '', detail);
        }
        this.logger.warn(
          {
            proxy: session.id,
            identity: session.identity.id,
            nonce: req.nack?.nonce,
            names: r.names,
            detail,
          },
          'proxy rejected a discovery response; it keeps its last acknowledged config',
        );
        return;
      }
      case 'node':
        throw new StreamError(status.INVALID_ARGUMENT, 'node may be sent only once, first', 'node-twice');
      default:
        throw new StreamError(status.INVALID_ARGUMENT, 'empty discovery request', 'empty-request');
    }
  }

  /** Recomputes `names` for one proxy and queues what differs from what it has. */
  private refresh(conn: Connection, names: ReadonlySet<string>, changedAt: number): void {
    const { session } = conn;
    const { builder } = this.options;
    const updates = new Map<string, QueuedUpdate>();
    for (const name of names) {
      const pushed = name === MESH || name === INBOUND || (name === GATEWAY && session.gatewayClass !== '');
      if (!pushed && !session.subscriptions.has(name)) continue;
      const r = resourceFor(builder, session, name);
      if (r.watch !== undefined) this.watches.watch(conn, name, r.watch);
      const u = session.upsert(name, r.version, r.resource);
      if (u !== undefined) updates.set(name, u);
    }
    this.push(conn, updates, changedAt);
  }

  private push(conn: Connection, updates: ReadonlyMap<string, QueuedUpdate>, changedAt: number): void {
    if (updates.size === 0) return;
    const result: EnqueueResult = conn.queue.enqueue(updates, changedAt);
    if (result === 'overflow') {
      this.options.metrics.streamOverflows.inc();
      this.logger.warn(
        { proxy: conn.session.id, identity: conn.session.identity.id },
        'discovery stream cannot keep up; closing it',
      );
      this.fail(
        conn,
        new StreamError(
          status.RESOURCE_EXHAUSTED,
          'discovery stream cannot keep up with updates',
          'overflow',
        ),
      );
      return;
    }
    if (result === 'flush') this.flush(conn);
  }

  private flush(conn: Connection): void {
    if (conn.closed) return;
    const batch = conn.queue.take();
    if (batch === undefined) return;
    const nonce = conn.session.record(batch.resources, batch.removed);
    const ok = conn.call.write(
      this.encoder.encode(String(this.options.state.version), nonce, batch.resources, batch.removed),
    );
    this.options.metrics.pushes.inc({ reason: 'change' });
    this.options.metrics.pushedResources.inc(batch.resources.length + batch.removed.length);
    const latencyMs = Math.max(0, this.clock.monotonic() - batch.since);
    this.options.metrics.pushLatency.observe(latencyMs / 1000);
    if (this.options.tracer !== undefined) {
      recordPush(this.options.tracer(), {
        ...streamPeer(conn),
        nonce,
        version: String(this.options.state.version),
        resources: batch.resources.map((r) => r.name ?? ''),
        removed: batch.removed.length,
        latencyMs,
        flushed: ok,
      });
    }
    if (!ok) conn.queue.block();
  }

  private disconnect(conn: Connection): void {
    if (!this.connections.delete(conn.session.id)) return;
    conn.closed = true;
    conn.ageTimer?.cancel();
    this.watches.unwatchAll(conn);
    this.options.metrics.subscriptions.dec(conn.session.subscriptions.size);
    this.options.metrics.connectedProxies.set(this.connections.size);
    if (conn.registered) this.options.registrar?.deregister(conn.session.id);
    this.logger.debug({ proxy: conn.session.id }, 'proxy disconnected');
  }

  private fail(conn: Connection, err: StreamError): void {
    this.disconnect(conn);
    this.reject(conn.call, err);
  }

  private reject(call: Call, err: StreamError): void {
    this.options.metrics.streamErrors.inc({ reason: err.reason });
    call.emit('error', {
      code: err.code,
      details: err.message,
      ...(err.trailers === undefined ? {} : { metadata: err.trailers }),
    });
  }
}

function shutdownError(): StreamError {
  return new StreamError(
    status.UNAVAILABLE,
    'control plane shutting down',
    'shutdown',
    reconnectNowTrailers(),
  );
}

function maxAgeError(): StreamError {
  return new StreamError(
    status.UNAVAILABLE,
    'discovery stream reached its maximum age; reconnect',
    'max-age',
    reconnectNowTrailers(),
  );
}
