/** The ConfigSource interface: where the mesh's resources come from, as one stream of typed events. */

/** The kinds of resource the mesh model reads. */
export const RESOURCE_KINDS = [
  'Namespace',
  'Pod',
  'Service',
  'EndpointSlice',
  'TrafficSplit',
  'HTTPRoute',
  'TrafficPolicy',
  'AuthorizationPolicy',
  'StaticEndpoints',
  'MeshConfig',
  'GatewayClass',
  'Gateway',
  'GRPCRoute',
  'ReferenceGrant',
  'Ingress',
  'Secret',
] as const;
export type ResourceKind = (typeof RESOURCE_KINDS)[number];

/** Names one resource; `namespace` is "" for cluster-scoped kinds (Namespace, MeshConfig, GatewayClass). */
export interface ResourceRef {
  readonly kind: ResourceKind;
  readonly namespace: string;
  readonly name: string;
}

/** Where a resource came from, for error messages: a file and line, or a Kubernetes object. */
export interface Origin {
  /** "kubernetes", "folder" or "registrations". */
  readonly source: string;
  /** A file path (folder mode). */
  readonly file?: string;
  /** The 1-based line the document starts on (folder mode). */
  readonly line?: number;
  /**
   * The line of each field of the document, by path (`spec.backends[1].weight`), so that an
   * error names the line of the bad field (folder mode).
   */
  readonly fieldLines?: ReadonlyMap<string, number>;
  /** The object's API version, needed to write status back (Kubernetes mode). */
  readonly apiVersion?: string;
  readonly resourceVersion?: string;
  readonly uid?: string;
  /** metadata.generation: what a status condition's observedGeneration reports (Kubernetes mode). */
  readonly generation?: number;
}

/** A proxy's announcement of its workload on its discovery stream (local mode). */
export interface Registration {
  /** Unique per stream. */
  readonly id: string;
  /** The SPIFFE ID from the proxy's client certificate. */
  readonly identity: string;
  readonly namespace: string;
  readonly service: string;
  readonly workload: string;
  readonly address: string;
  readonly inboundListenerPort: number;
  readonly ports: readonly {
    readonly port: number;
    readonly protocol: 'http' | 'http2' | 'grpc' | 'tcp' | undefined;
  }[];
  readonly labels: Readonly<Record<string, string>>;
  readonly zone?: string;
}

/**
 * One change. `upsert` carries the raw object as read (the mesh model validates it);
 * `invalid` reports an object a source could not even read (malformed YAML), so the model can
 * show it, while the resource's last good version keeps serving.
 */
export type SourceEvent =
  | { readonly type: 'upsert'; readonly ref: ResourceRef; readonly object: unknown; readonly origin: Origin }
  | { readonly type: 'delete'; readonly ref: ResourceRef }
  | { readonly type: 'register'; readonly registration: Registration }
  | { readonly type: 'deregister'; readonly id: string };

/** Receives batches of events; a batch is applied atomically. */
export type EventSink = (events: readonly SourceEvent[]) => void;

/**
 * A source of mesh resources: the Kubernetes API, a folder of manifests, or the proxies'
 * registrations. Called by the control plane, which starts every source with one sink.
 * A source never throws after `start` resolves: it reports errors through its logger and
 * metrics and keeps the last good state.
 */
export interface ConfigSource {
  /** A short name for logs and /readyz ("kubernetes", "folder", "registrations"). */
  readonly name: string;
  /**
   * Starts delivering events to `sink`. Resolves once the initial state has been delivered
   * (the source is synced); rejects when the source cannot start at all (bad kubeconfig,
   * missing folder).
   */
  start(sink: EventSink): Promise<void>;
  /** True once the initial state has been delivered. */
  ready(): boolean;
  /** Stops watching; no events are delivered after it resolves. */
  close(): Promise<void>;
  /** Optional state for /debug/state (file errors, informer restarts). */
  debug?(): unknown;
}

/** Formats a ref as `Kind namespace/name` for messages. */
export function formatRef(ref: ResourceRef): string {
  return ref.namespace === '' ? `${ref.kind} ${ref.name}` : `${ref.kind} ${ref.namespace}/${ref.name}`;
}

/** A map key for a ref. */
export function refKey(ref: ResourceRef): string {
  return `${ref.kind}/${ref.namespace}/${ref.name}`;
}
