/** One proxy's Discovery stream as the service holds it, and the checks made when it opens. */
import { Metadata, type ServerDuplexStream, status } from '@grpc/grpc-js';
import type { DiscoveryRequest__Output, DiscoveryResponse, Node__Output } from '@weft/api';
import type { TimerHandle } from '@weft/core';
import type { StreamPeer } from '../telemetry/control-plane-tracing.js';
import { parseWorkloadId, type WorkloadIdentity } from './peer-identity.js';
import type { ProxySession } from './proxy-session.js';
import type { PushQueue } from './push-queue.js';

/** Responses are written pre-encoded (see wire.ts); the registered definition passes Buffers through. */
export type Call = ServerDuplexStream<DiscoveryRequest__Output, DiscoveryResponse | Buffer>;

/** Where a connected proxy serves its admin endpoints (for `weft stat`). */
export interface ProxyAdminEndpoint {
  readonly namespace: string;
  readonly workload: string;
  readonly service: string;
  readonly address: string;
  readonly adminPort: number;
}

export const INBOUND = 'inbound';
export const MESH = 'mesh';
/** The ingress gateway's config (GatewayConfig), pushed to a gateway node without subscription. */
export const GATEWAY = 'gateway';

/**
 * The trailing metadata key (value `now`) on a stream the control plane ends on purpose (max
 * stream age, shutdown): the proxy reconnects at once, without backoff, keeping its config.
 */
export const RECONNECT_KEY = 'weft-reconnect';

/** Trailers that tell the proxy to reconnect now. */
export function reconnectNowTrailers(): Metadata {
  const m = new Metadata();
  m.set(RECONNECT_KEY, 'now');
  return m;
}

export interface Connection {
  readonly session: ProxySession;
  readonly call: Call;
  readonly queue: PushQueue;
  /** Watch keys per name (including "inbound"). */
  readonly watching: Map<string, readonly string[]>;
  closed: boolean;
  /** True once its registration reached the registrar (then it is deregistered on close). */
  registered: boolean;
  /** The proxy's admin endpoint, when it told its admin port. */
  readonly admin: ProxyAdminEndpoint | undefined;
  /** Ends the stream at its (jittered) max age. */
  ageTimer?: TimerHandle;
  /** The client certificate (leaf DER) the stream was opened with, as the TLS layer verified it. */
  readonly leaf: Buffer | undefined;
  /** Trust anchors the proxy says it holds (SHA-256 hex; informational, see Node.trust_anchor_fingerprints). */
  readonly anchorFingerprints: readonly string[];
}

/** A connected proxy's certificate, for the trust-anchor rotation report. */
export interface ProxyCertificate {
  readonly namespace: string;
  readonly workload: string;
  readonly identity: string;
  readonly leaf: Buffer | undefined;
  readonly anchorFingerprints: readonly string[];
}

/** Ends a stream with a gRPC status; `reason` labels the metric. */
export class StreamError extends Error {
  constructor(
    readonly code: status,
    message: string,
    readonly reason: string,
    /** Trailers sent with the status (e.g. {@link reconnectNowTrailers}). */
    readonly trailers?: Metadata,
  ) {
    super(message);
  }
}

/** The workload identity of a stream's verified client certificate, or the StreamError that refuses it. */
export function workloadIdentityOf(id: string | undefined): WorkloadIdentity {
  const identity = id === undefined ? undefined : parseWorkloadId(id);
  if (identity !== undefined) return identity;
  throw id === undefined
    ? new StreamError(
        status.UNAUTHENTICATED,
        'discovery requires a client certificate (an SVID from Identity.Certify)',
        'no-certificate',
      )
    : new StreamError(
        status.PERMISSION_DENIED,
        `client certificate identity ${id} is not a workload identity`,
        'bad-identity',
      );
}

/** Refuses a node message that claims another namespace or service account than its certificate. */
export function checkNodeIdentity(node: Node__Output, identity: WorkloadIdentity): void {
  if (node.namespace !== '' && node.namespace !== identity.namespace) {
    throw new StreamError(
      status.PERMISSION_DENIED,
      `node.namespace "${node.namespace}" does not match the client certificate's namespace "${identity.namespace}"`,
      'identity-mismatch',
    );
  }
  if (node.serviceAccount !== '' && node.serviceAccount !== identity.serviceAccount) {
    throw new StreamError(
      status.PERMISSION_DENIED,
      `node.service_account "${node.serviceAccount}" does not match the client certificate's "${identity.serviceAccount}"`,
      'identity-mismatch',
    );
  }
}

/** The proxy's admin endpoint, when its node message names a valid admin port. */
export function adminEndpointOf(
  identity: WorkloadIdentity,
  node: Node__Output,
  address: string,
): ProxyAdminEndpoint | undefined {
  if (!(node.adminPort > 0 && node.adminPort < 65536)) return undefined;
  return {
    namespace: identity.namespace,
    workload: node.workload,
    service: node.service,
    address,
    adminPort: node.adminPort,
  };
}

/** Who a stream belongs to, for spans. */
export function streamPeer(conn: Connection): StreamPeer {
  const { session } = conn;
  return {
    proxy: session.id,
    identity: session.identity.id,
    namespace: session.identity.namespace,
    workload: session.workload.workload,
  };
}

/** One stream's state for /debug/state. */
export function describeConnection({ session, queue }: Connection): Record<string, unknown> {
  return {
    id: session.id,
    identity: session.identity.id,
    workload: session.workload.workload,
    proxyVersion: session.proxyVersion,
    ...(session.gatewayClass === '' ? {} : { gatewayClass: session.gatewayClass }),
    subscriptions: [...session.subscriptions.keys()],
    acked: session.ackedVersions(),
    rejected: session.rejectedVersions(),
    lastNack: session.lastNack,
    queued: queue.size,
  };
}
