/**
 * A NetworkPolicy evaluator: would the `networking.k8s.io/v1` policies in force let one pod
 * open a connection to another on a port? Follows the API's semantics (policies add up; a pod
 * no policy selects for a direction is not isolated in it; an empty selector selects all; a
 * peer with only `podSelector` means the policy's namespace; `ipBlock` matches pod IPs). Used
 * by `weft check` and by the generator's tests. Named ports match the destination's container
 * ports of that name.
 */
import { type Selector, selectorMatches } from '../model/label-selector.js';
import { NAMESPACE_NAME_LABEL } from './labels.js';

export { type Selector, type SelectorRequirement, selectorMatches } from '../model/label-selector.js';

export interface PolicyPeer {
  readonly podSelector?: Selector | undefined;
  readonly namespaceSelector?: Selector | undefined;
  readonly ipBlock?: { readonly cidr: string; readonly except?: readonly string[] | undefined } | undefined;
}

export interface PolicyPort {
  readonly protocol?: string | undefined;
  readonly port?: number | string | undefined;
  readonly endPort?: number | undefined;
}

export interface PolicyRule {
  readonly from?: readonly PolicyPeer[] | undefined;
  readonly to?: readonly PolicyPeer[] | undefined;
  readonly ports?: readonly PolicyPort[] | undefined;
}

/** A NetworkPolicy as read from the API (only the fields evaluation needs). */
export interface EvaluatedPolicy {
  readonly metadata: { readonly name: string; readonly namespace?: string | undefined };
  readonly spec: {
    readonly podSelector?: Selector | undefined;
    readonly policyTypes?: readonly string[] | undefined;
    readonly ingress?: readonly PolicyRule[] | undefined;
    readonly egress?: readonly PolicyRule[] | undefined;
  };
}

/** One side of a connection. `namespaceLabels` need not repeat `kubernetes.io/metadata.name`. */
export interface Endpoint {
  readonly namespace: string;
  readonly namespaceLabels: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
  /** The pod's IP, for `ipBlock` peers; a pod without one never matches an ipBlock. */
  readonly ip?: string | undefined;
  /** Not a pod (the API server, a node): namespace and pod selectors never match it. */
  readonly external?: boolean | undefined;
  /** Container port names of the pod (for named ports on the destination). */
  readonly namedPorts?: Readonly<Record<string, number>> | undefined;
}

export interface Connection {
  readonly from: Endpoint;
  readonly to: Endpoint;
  readonly port: number;
  readonly protocol: 'TCP' | 'UDP' | 'SCTP';
}

/** The outcome, naming the policies that isolate the side that refused. */
export type Verdict =
  | { readonly type: 'allow' }
  | { readonly type: 'deny'; readonly direction: 'ingress' | 'egress'; readonly policies: readonly string[] };

function ipv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

/** IPv4 CIDR membership; IPv6 and malformed CIDRs never match (the caller's pods are IPv4 or unknown). */
export function inCidr(ip: string, cidr: string): boolean {
  const [base, bitsText] = cidr.split('/');
  const a = ipv4(ip);
  const b = ipv4(base ?? '');
  const bits = Number(bitsText ?? '32');
  if (a === undefined || b === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32) return false;
  if (bits === 0) return true;
  const block = 2 ** (32 - bits);
  return Math.floor(a / block) === Math.floor(b / block);
}

function nsLabels(e: Endpoint): Record<string, string> {
  return { ...e.namespaceLabels, [NAMESPACE_NAME_LABEL]: e.namespace };
}

function peerMatches(peer: PolicyPeer, policyNamespace: string, other: Endpoint): boolean {
  if (peer.ipBlock !== undefined) {
    const ip = other.ip;
    return (
      ip !== undefined &&
      inCidr(ip, peer.ipBlock.cidr) &&
      !(peer.ipBlock.except ?? []).some((c) => inCidr(ip, c))
    );
  }
  if (other.external === true || (peer.namespaceSelector === undefined && peer.podSelector === undefined))
    return false;
  const nsOk =
    peer.namespaceSelector === undefined
      ? other.namespace === policyNamespace
      : selectorMatches(peer.namespaceSelector, nsLabels(other));
  return nsOk && (peer.podSelector === undefined || selectorMatches(peer.podSelector, other.labels));
}

function portMatches(ports: readonly PolicyPort[] | undefined, c: Connection, dst: Endpoint): boolean {
  if (ports === undefined || ports.length === 0) return true;
  return ports.some((p) => {
    if ((p.protocol ?? 'TCP') !== c.protocol) return false;
    if (p.port === undefined) return true;
    const port = typeof p.port === 'number' ? p.port : dst.namedPorts?.[p.port];
    if (port === undefined) return false;
    return p.endPort === undefined ? port === c.port : c.port >= port && c.port <= p.endPort;
  });
}

function hasType(p: EvaluatedPolicy, type: 'Ingress' | 'Egress'): boolean {
  const types = p.spec.policyTypes;
  if (types === undefined || types.length === 0) {
    // The API's default: Ingress always; Egress when egress rules are present.
    return type === 'Ingress' || (p.spec.egress?.length ?? 0) > 0;
  }
  return types.includes(type);
}

function side(policies: readonly EvaluatedPolicy[], c: Connection, direction: 'ingress' | 'egress'): Verdict {
  const self = direction === 'ingress' ? c.to : c.from;
  const other = direction === 'ingress' ? c.from : c.to;
  const isolating = policies.filter(
    (p) =>
      (p.metadata.namespace ?? 'default') === self.namespace &&
      hasType(p, direction === 'ingress' ? 'Ingress' : 'Egress') &&
      selectorMatches(p.spec.podSelector ?? {}, self.labels),
  );
  if (isolating.length === 0) return { type: 'allow' };
  for (const p of isolating) {
    const ns = p.metadata.namespace ?? 'default';
    for (const rule of (direction === 'ingress' ? p.spec.ingress : p.spec.egress) ?? []) {
      const peers = direction === 'ingress' ? rule.from : rule.to;
      if (!portMatches(rule.ports, c, c.to)) continue;
      if (peers === undefined || peers.length === 0 || peers.some((peer) => peerMatches(peer, ns, other))) {
        return { type: 'allow' };
      }
    }
  }
  return {
    type: 'deny',
    direction,
    policies: isolating.map((p) => `${p.metadata.namespace ?? 'default'}/${p.metadata.name}`).sort(),
  };
}

/** Evaluates a connection: the source's egress policies, then the destination's ingress policies. */
export function evaluateConnection(policies: readonly EvaluatedPolicy[], c: Connection): Verdict {
  const egress = side(policies, c, 'egress');
  return egress.type === 'deny' ? egress : side(policies, c, 'ingress');
}
