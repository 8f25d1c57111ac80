/** A workload's inbound policy: its ports, the default action, mTLS mode, and the AuthorizationPolicies of its services. */
import type { AuthorizationPolicyResource, InboundPolicyMessage, MeshConfig } from '@weft/api';
import type { PortProtocol, ServiceModel } from './service-model.js';

/** Pod or namespace annotation overriding the mesh's default inbound policy. */
export const INBOUND_POLICY_ANNOTATION = 'weft.dev/inbound-policy';

/** The workload a proxy fronts, as its node message and certificate describe it. */
export interface WorkloadRef {
  /** From the client certificate. */
  readonly namespace: string;
  readonly workload: string;
  /** Local mode: the service the workload serves. */
  readonly service?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly inboundPorts: readonly { readonly port: number; readonly protocol: PortProtocol }[];
}

const DEFAULT_ACTION = {
  'allow-all': 'DEFAULT_ACTION_ALLOW_ALL',
  'allow-authenticated': 'DEFAULT_ACTION_ALLOW_AUTHENTICATED',
  deny: 'DEFAULT_ACTION_DENY',
} as const;

const PROTOCOL = {
  http: 'PROTOCOL_HTTP',
  http2: 'PROTOCOL_HTTP2',
  grpc: 'PROTOCOL_GRPC',
  tcp: 'PROTOCOL_TCP',
  detect: 'PROTOCOL_UNSPECIFIED',
} as const;

/** Wire form of a port protocol. */
export function protocolMessage(p: PortProtocol): (typeof PROTOCOL)[PortProtocol] {
  return PROTOCOL[p];
}

/** True when every selector label is among `labels` (an empty or missing selector selects nothing). */
export function selects(
  selector: Readonly<Record<string, string>> | undefined,
  labels: Readonly<Record<string, string>>,
): boolean {
  if (selector === undefined) return false;
  const entries = Object.entries(selector);
  return entries.length > 0 && entries.every(([k, v]) => labels[k] === v);
}

function defaultAction(value: string | undefined): keyof typeof DEFAULT_ACTION | undefined {
  return value !== undefined && value in DEFAULT_ACTION ? (value as keyof typeof DEFAULT_ACTION) : undefined;
}

export interface InboundInputs {
  readonly mesh: MeshConfig;
  /** The workload's services (explicit service, selector match, or endpoints naming its pod). */
  readonly services: readonly ServiceModel[];
  readonly policies: readonly AuthorizationPolicyResource[];
  readonly namespaceAnnotations: Readonly<Record<string, string>>;
  readonly podAnnotations: Readonly<Record<string, string>>;
}

function targetPortOf(svc: ServiceModel, port: number): number {
  const sp = svc.ports.find((p) => p.port === port);
  return sp !== undefined && typeof sp.targetPort === 'number' ? sp.targetPort : port;
}

/** Builds the inbound policy message; rules are ordered Deny first, then by name. */
export function inboundPolicy(workload: WorkloadRef, inputs: InboundInputs): InboundPolicyMessage {
  const action =
    defaultAction(inputs.podAnnotations[INBOUND_POLICY_ANNOTATION]) ??
    defaultAction(inputs.namespaceAnnotations[INBOUND_POLICY_ANNOTATION]) ??
    inputs.mesh.defaultInboundPolicy;
  const ports = new Map<number, PortProtocol>();
  for (const p of workload.inboundPorts) ports.set(p.port, p.protocol);
  for (const svc of inputs.services) {
    for (const sp of svc.ports) {
      if (typeof sp.targetPort !== 'number') continue;
      const known = ports.get(sp.targetPort);
      if (known === undefined || known === 'detect') ports.set(sp.targetPort, sp.protocol);
    }
  }
  const byName = new Map(inputs.services.map((s) => [s.name, s]));
  const rules = [];
  for (const policy of inputs.policies) {
    const svc = byName.get(policy.spec.targetRef.name);
    if (svc === undefined) continue;
    const targetPort = policy.spec.targetRef.port;
    const to = policy.spec.to.map((t) => ({
      ports: (t.ports ?? (targetPort === undefined ? [] : [targetPort])).map((p) => targetPortOf(svc, p)),
      methods: [...(t.methods ?? [])],
      paths: [...(t.paths ?? [])],
    }));
    rules.push({
      name: `${policy.metadata.namespace ?? workload.namespace}/${policy.metadata.name}`,
      action:
        policy.spec.action === 'Deny'
          ? ('AUTHORIZATION_ACTION_DENY' as const)
          : ('AUTHORIZATION_ACTION_ALLOW' as const),
      from: policy.spec.from.map((f) => ({
        identities: [...(f.identities ?? [])],
        namespaces: [...(f.namespaces ?? [])],
        unauthenticated: f.unauthenticated ?? false,
      })),
      to:
        to.length === 0 && targetPort !== undefined
          ? [{ ports: [targetPortOf(svc, targetPort)], methods: [], paths: [] }]
          : to,
    });
  }
  rules.sort((a, b) =>
    a.action !== b.action ? (a.action === 'AUTHORIZATION_ACTION_DENY' ? -1 : 1) : a.name < b.name ? -1 : 1,
  );
  return {
    defaultAction: DEFAULT_ACTION[action],
    mtlsMode: inputs.mesh.mtls === 'strict' ? 'MTLS_MODE_STRICT' : 'MTLS_MODE_PERMISSIVE',
    ports: [...ports.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([port, protocol]) => ({ port, protocol: PROTOCOL[protocol] })),
    rules,
  };
}
