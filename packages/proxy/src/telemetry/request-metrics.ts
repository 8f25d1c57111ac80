/**
 * The golden request metrics of a proxy: requests, responses by status code and latency
 * histograms, by direction, authority, route, peer identity and mTLS. Series are
 * found with a few map lookups of strings the request already holds and updated with field
 * increments; label text is built once per series, when it is created.
 */
import type { Renderable } from './metrics-registry.js';

/** Latency buckets (ms): fine below 10 ms, where a sidecar's own cost shows. */
export const LATENCY_BUCKETS_MS: readonly number[] = [
  0.25, 0.5, 1, 2, 3, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000,
];

/** Label values past a cap per label are folded into this one. */
export const OVERFLOW_LABEL = '_other';

/** Escapes a Prometheus label value. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Added to a status key for gRPC responses whose grpc-status was not OK (0). */
const GRPC_FAILED = 1000;

/** True for the responses counted as failures in success rates: 5xx, and no response at all. */
export function isFailureStatus(status: number): boolean {
  return status >= 500 || status < 100;
}

/** The request and response counts and latencies of one label set. */
export class RequestSeries {
  requests = 0;
  /**
   * Responses by status code (0: none was sent: the client went away or the stream broke),
   * plus GRPC_FAILED for gRPC responses whose grpc-status was not OK.
   */
  readonly statuses = new Map<number, number>();
  readonly buckets = new Float64Array(LATENCY_BUCKETS_MS.length);
  latencyCount = 0;
  latencySum = 0;

  constructor(
    /** `direction="...",authority="...",...` without braces. */
    readonly labels: string,
  ) {}

  /** Records one finished request; `grpcFailed` when its grpc-status was not OK. */
  record(status: number, latencyMs: number, grpcFailed = false): void {
    this.requests++;
    const key = grpcFailed ? status + GRPC_FAILED : status;
    this.statuses.set(key, (this.statuses.get(key) ?? 0) + 1);
    this.latencyCount++;
    this.latencySum += latencyMs;
    for (let i = 0; i < LATENCY_BUCKETS_MS.length; i++) {
      if (latencyMs <= (LATENCY_BUCKETS_MS[i] as number)) {
        this.buckets[i]!++;
        return;
      }
    }
  }
}

/**
 * Children by label value with a cap on distinct values; values past the cap share the
 * `_other` child. Each child knows the value it is filed under (`_other` for folded ones).
 */
class CappedIndex<T> {
  private readonly children = new Map<string, T>();

  constructor(
    private readonly cap: number,
    private readonly create: (value: string) => T,
    private readonly onOverflow: () => void,
  ) {}

  get(value: string): T {
    let child = this.children.get(value);
    if (child !== undefined) return child;
    if (this.children.size >= this.cap && value !== OVERFLOW_LABEL) {
      this.onOverflow();
      return this.get(OVERFLOW_LABEL);
    }
    child = this.create(value);
    this.children.set(value, child);
    return child;
  }
}

/** One level of the label tree: the value this node is filed under, and its children. */
interface LabelNode<T> {
  readonly value: string;
  readonly children: T;
}

/** The leaf: series without and with mTLS. */
interface IdentityNode {
  readonly value: string;
  readonly series: [RequestSeries | undefined, RequestSeries | undefined];
}

/** The labels of a finished request. */
export interface RequestLabels {
  readonly direction: 'inbound' | 'outbound';
  /** Outbound: the destination's authority; inbound: the request's authority. */
  readonly authority: string;
  /** The matched route's name ('' when none: egress, inbound). */
  readonly route: string;
  /** Inbound: the client's SPIFFE ID; outbound: the identity the server must present; '' when none. */
  readonly peerIdentity: string;
  /** Whether the hop to or from the peer proxy was mTLS. */
  readonly tls: boolean;
}

/** Caps on distinct label values (per parent label), against cardinality explosions. */
export interface RequestMetricsOptions {
  readonly maxAuthorities?: number;
  readonly maxRoutes?: number;
  readonly maxIdentities?: number;
}

type RouteNode = LabelNode<CappedIndex<IdentityNode>>;
type AuthorityNode = LabelNode<CappedIndex<RouteNode>>;

/** The request metric families of one proxy. */
export class RequestMetrics implements Renderable {
  private readonly byDirection: Record<'inbound' | 'outbound', CappedIndex<AuthorityNode>>;
  private readonly all: RequestSeries[] = [];
  /** Label values folded into `_other` because a cap was reached. */
  overflows = 0;

  constructor(options: RequestMetricsOptions = {}) {
    const overflow = () => {
      this.overflows++;
    };
    const identities = () =>
      new CappedIndex<IdentityNode>(
        options.maxIdentities ?? 256,
        (value) => ({ value, series: [undefined, undefined] }),
        overflow,
      );
    const routes = () =>
      new CappedIndex<RouteNode>(
        options.maxRoutes ?? 64,
        (value) => ({ value, children: identities() }),
        overflow,
      );
    const authorities = () =>
      new CappedIndex<AuthorityNode>(
        options.maxAuthorities ?? 256,
        (value) => ({ value, children: routes() }),
        overflow,
      );
    this.byDirection = { inbound: authorities(), outbound: authorities() };
  }

  /** The series for `labels` (created on first use; keep it to record without a lookup). */
  series(labels: RequestLabels): RequestSeries {
    const authority = this.byDirection[labels.direction].get(labels.authority);
    const route = authority.children.get(labels.route);
    const identity = route.children.get(labels.peerIdentity);
    const i = labels.tls ? 1 : 0;
    let s = identity.series[i];
    if (s === undefined) {
      s = new RequestSeries(
        `direction="${labels.direction}",authority="${escapeLabelValue(authority.value)}",route="${escapeLabelValue(route.value)}",peer_identity="${escapeLabelValue(identity.value)}",tls="${labels.tls}"`,
      );
      identity.series[i] = s;
      this.all.push(s);
    }
    return s;
  }

  render(): string {
    let requests =
      '# HELP weft_requests_total Requests finished, by direction, authority, route, peer identity and mTLS.\n# TYPE weft_requests_total counter\n';
    let responses =
      '# HELP weft_responses_total Responses by status code (status_code="" when none was sent) and classification (5xx, none, and gRPC errors fail).\n# TYPE weft_responses_total counter\n';
    let latency =
      '# HELP weft_response_latency_ms Time from the request arriving to the response ending (ms).\n# TYPE weft_response_latency_ms histogram\n';
    for (const s of this.all) {
      requests += `weft_requests_total{${s.labels}} ${s.requests}\n`;
      for (const [key, count] of s.statuses) {
        const status = key % GRPC_FAILED;
        const code = status === 0 ? '' : String(status);
        const classification = key >= GRPC_FAILED || isFailureStatus(status) ? 'failure' : 'success';
        responses += `weft_responses_total{${s.labels},status_code="${code}",classification="${classification}"} ${count}\n`;
      }
      let cumulative = 0;
      for (let i = 0; i < LATENCY_BUCKETS_MS.length; i++) {
        cumulative += s.buckets[i] as number;
        latency += `weft_response_latency_ms_bucket{${s.labels},le="${LATENCY_BUCKETS_MS[i]}"} ${cumulative}\n`;
      }
      latency += `weft_response_latency_ms_bucket{${s.labels},le="+Inf"} ${s.latencyCount}\n`;
      latency += `weft_response_latency_ms_sum{${s.labels}} ${s.latencySum}\n`;
      latency += `weft_response_latency_ms_count{${s.labels}} ${s.latencyCount}\n`;
    }
    const overflow = `# HELP weft_metric_label_overflows_total Label values folded into "${OVERFLOW_LABEL}" because a cap was reached.\n# TYPE weft_metric_label_overflows_total counter\nweft_metric_label_overflows_total ${this.overflows}\n`;
    return requests + responses + latency + overflow;
  }
}
