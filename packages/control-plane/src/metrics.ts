/** The control plane's Prometheus metrics, on a registry of its own (never the global one). */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export class ControlPlaneMetrics {
  readonly registry = new Registry();
  readonly connectedProxies = new Gauge({
    name: 'weft_control_plane_connected_proxies',
    help: 'Proxies with an open discovery stream',
    registers: [this.registry],
  });
  readonly subscriptions = new Gauge({
    name: 'weft_control_plane_subscriptions',
    help: 'Subscriptions held by connected proxies',
    registers: [this.registry],
  });
  readonly pushes = new Counter({
    name: 'weft_control_plane_pushes_total',
    help: 'Discovery responses sent',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly pushedResources = new Counter({
    name: 'weft_control_plane_pushed_resources_total',
    help: 'Resources (upserts and removals) sent in discovery responses',
    registers: [this.registry],
  });
  readonly pushLatency = new Histogram({
    name: 'weft_control_plane_push_latency_seconds',
    help: 'From a source change applied to the response carrying it written to the stream',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly acks = new Counter({
    name: 'weft_control_plane_acks_total',
    help: 'Responses acknowledged',
    registers: [this.registry],
  });
  readonly nacks = new Counter({
    name: 'weft_control_plane_nacks_total',
    help: 'Responses rejected by proxies',
    registers: [this.registry],
  });
  readonly streamOverflows = new Counter({
    name: 'weft_control_plane_stream_overflows_total',
    help: 'Streams closed because they could not keep up',
    registers: [this.registry],
  });
  readonly streamErrors = new Counter({
    name: 'weft_control_plane_stream_errors_total',
    help: 'Streams ended by a protocol error (bad first message, no client certificate, ...)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly registrationsRefused = new Counter({
    name: 'weft_control_plane_registrations_refused_total',
    help: 'Registrations refused: the stream identity may not serve the service it named (PERMISSION_DENIED)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly gatewayRefused = new Counter({
    name: 'weft_control_plane_gateway_refused_total',
    help: 'Discovery streams asking for the gateway config (Node.gateway_class) refused: the client certificate is not an allowed gateway identity',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly gatewayRejections = new Counter({
    name: 'weft_control_plane_gateway_rejections_total',
    help: 'Gateway API resources (listeners, route parents) that became not accepted, not programmed or unresolved, and Ingress problems that appeared, by kind and reason',
    labelNames: ['kind', 'reason'] as const,
    registers: [this.registry],
  });
  readonly sourceErrors = new Counter({
    name: 'weft_control_plane_source_errors_total',
    help: 'Errors reading config sources (watch failures, unreadable files, invalid resources)',
    labelNames: ['source', 'reason'] as const,
    registers: [this.registry],
  });
  readonly invalidResources = new Gauge({
    name: 'weft_control_plane_invalid_resources',
    help: 'Resources currently rejected (invalid, conflicting, or referring to something missing)',
    registers: [this.registry],
  });
  readonly leader = new Gauge({
    name: 'weft_control_plane_leader',
    help: 'Leader election: 1 while this replica (identity) holds the Lease and writes status and Events, else 0',
    labelNames: ['identity'] as const,
    registers: [this.registry],
  });
  readonly leaseErrors = new Counter({
    name: 'weft_control_plane_lease_errors_total',
    help: 'Failed requests for the leader-election Lease (by HTTP status, or "request" for no answer)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly stateVersion = new Gauge({
    name: 'weft_control_plane_state_version',
    help: 'Version of the mesh state',
    registers: [this.registry],
  });
}
