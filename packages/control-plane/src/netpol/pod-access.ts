/**
 * What a meshed pod accepts at L4, derived from the inbound policy the control plane serves it
 * (the same `inboundPolicy` the proxy enforces): the mesh identities that may reach its inbound
 * listener, and the app ports that plaintext callers may reach in permissive mTLS mode.
 */
import type { AuthorizationPolicyResource, MeshConfig, NamespaceResource, PodResource } from '@weft/api';
import { DEFAULT_INBOUND_PORT, INBOUND_PORT_ANNOTATION } from '../model/endpoints.js';
import { inboundPolicy, selects } from '../model/inbound.js';
import type { ServiceModel } from '../model/service-model.js';
import { isLabelValue } from './labels.js';
import {
  ALL_PEERS,
  accountPeer,
  EMPTY_PEERS,
  isEmptyPeers,
  namespacePeers,
  type PeerSet,
  samePeers,
  subtractPeers,
  unionPeers,
} from './peer-set.js';

/** A port no service or container declares; rules naming ports never apply to it. */
const UNDECLARED = 0;

export interface PodAccess {
  /** Mesh identities that may open a connection to the proxy's inbound port. */
  readonly meshed: PeerSet;
  /** App ports plaintext (unauthenticated) callers may reach; empty in strict mTLS mode. */
  readonly plaintextPorts: readonly number[];
  readonly inboundPort: number;
  /** What could not be expressed exactly at L4, and how it was narrowed or left to the proxy. */
  readonly notes: readonly string[];
  /** The AuthorizationPolicies (`ns/name`) that shaped the result. */
  readonly sources: readonly string[];
}

interface Sources {
  readonly meshed: PeerSet;
  readonly plaintext: boolean;
}

interface Rule {
  readonly name: string;
  readonly deny: boolean;
  readonly from: readonly {
    identities: readonly string[];
    namespaces: readonly string[];
    unauthenticated: boolean;
  }[];
  readonly to: readonly { ports: readonly number[]; methods: readonly string[]; paths: readonly string[] }[];
}

const SPIFFE = /^spiffe:\/\/([^/]+)\/ns\/([^/]+)\/sa\/([^/]+)$/;

function sourcesOf(rule: Rule, trustDomain: string, notes: Set<string>): Sources {
  if (rule.from.length === 0) return { meshed: ALL_PEERS, plaintext: true };
  let meshed = EMPTY_PEERS;
  let plaintext = false;
  for (const f of rule.from) {
    if (f.unauthenticated) plaintext = true;
    for (const ns of f.namespaces) meshed = unionPeers(meshed, namespacePeers(ns));
    for (const id of f.identities) {
      if (id === '*') {
        meshed = unionPeers(meshed, ALL_PEERS);
        continue;
      }
      const m = SPIFFE.exec(id);
      if (m === null || m[1] !== trustDomain) {
        if (!rule.deny)
          notes.add(
            `${rule.name}: ${id} is not a ServiceAccount of trust domain ${trustDomain}; not allowed at L4`,
          );
        continue;
      }
      const [, , ns = '', sa = ''] = m;
      if (!isLabelValue(sa)) {
        if (!rule.deny)
          notes.add(`${rule.name}: ServiceAccount ${ns}/${sa} cannot be a label value; not allowed at L4`);
        continue;
      }
      meshed = unionPeers(meshed, accountPeer(ns, sa));
    }
  }
  return { meshed, plaintext };
}

function coversPort(t: Rule['to'][number], port: number): boolean {
  return t.ports.length === 0 || t.ports.includes(port);
}

function isL7(t: Rule['to'][number]): boolean {
  return t.methods.length > 0 || t.paths.length > 0;
}

export interface PodAccessInputs {
  readonly mesh: MeshConfig;
  readonly namespace: NamespaceResource | undefined;
  /** The Services of the pod's namespace. */
  readonly services: readonly ServiceModel[];
  /** The AuthorizationPolicies of the pod's namespace. */
  readonly policies: readonly AuthorizationPolicyResource[];
}

/** The pod's declared TCP ports: its containers' ports and its Services' numeric target ports. */
function declaredPorts(pod: PodResource, services: readonly ServiceModel[]): number[] {
  const ports = new Set<number>();
  const named = new Map<string, number>();
  for (const c of pod.spec.containers) {
    for (const p of c.ports ?? []) {
      if ((p.protocol ?? 'TCP') !== 'TCP') continue;
      ports.add(p.containerPort);
      if (p.name !== undefined) named.set(p.name, p.containerPort);
    }
  }
  for (const svc of services) {
    for (const sp of svc.ports) {
      const port = typeof sp.targetPort === 'number' ? sp.targetPort : named.get(sp.targetPort);
      if (port !== undefined) ports.add(port);
    }
  }
  return [...ports].sort((a, b) => a - b);
}

/** Computes what `pod` accepts at L4; pure. */
export function podAccess(pod: PodResource, inputs: PodAccessInputs): PodAccess {
  const namespace = pod.metadata.namespace ?? 'default';
  const labels = pod.metadata.labels ?? {};
  const services = inputs.services.filter((s) => s.namespace === namespace && selects(s.selector, labels));
  const ports = declaredPorts(pod, services);
  const message = inboundPolicy(
    {
      namespace,
      workload: pod.metadata.name,
      labels,
      inboundPorts: ports.map((port) => ({ port, protocol: 'detect' as const })),
    },
    {
      mesh: inputs.mesh,
      services,
      policies: inputs.policies.filter((p) => (p.metadata.namespace ?? namespace) === namespace),
      namespaceAnnotations: inputs.namespace?.metadata.annotations ?? {},
      podAnnotations: pod.metadata.annotations ?? {},
    },
  );
  const rules: Rule[] = (message.rules ?? []).map((r) => ({
    name: r.name ?? '',
    deny: r.action === 'AUTHORIZATION_ACTION_DENY',
    from: (r.from ?? []).map((f) => ({
      identities: f.identities ?? [],
      namespaces: f.namespaces ?? [],
      unauthenticated: f.unauthenticated ?? false,
    })),
    to: (r.to ?? []).map((t) => ({ ports: t.ports ?? [], methods: t.methods ?? [], paths: t.paths ?? [] })),
  }));
  const strict = inputs.mesh.mtls === 'strict';
  const notes = new Set<string>();
  const sources = new Set<string>();
  const perPort: PeerSet[] = [];
  let meshed = EMPTY_PEERS;
  const plaintextPorts: number[] = [];

  for (const port of [...ports, UNDECLARED]) {
    // Deny rules subtract at L4 only where they refuse every request on the port; an L7 Deny
    // (methods, paths) leaves the connection to the proxy, which refuses those requests.
    let deniedMeshed = EMPTY_PEERS;
    let deniedPlaintext = false;
    for (const rule of rules.filter((r) => r.deny)) {
      const on =
        rule.to.length === 0
          ? [{ ports: [], methods: [], paths: [] }]
          : rule.to.filter((t) => coversPort(t, port));
      if (on.length === 0) continue;
      if (on.every(isL7)) {
        notes.add(
          `${rule.name}: denies HTTP methods/paths; the connection is allowed at L4 and the proxy refuses those requests`,
        );
        continue;
      }
      const s = sourcesOf(rule, inputs.mesh.trustDomain, notes);
      deniedMeshed = unionPeers(deniedMeshed, s.meshed);
      deniedPlaintext ||= s.plaintext;
      sources.add(rule.name);
    }
    const allows = rules.filter(
      (r) =>
        !r.deny &&
        (r.to.length === 0 ||
          r.to.some((t) => (port === UNDECLARED ? t.ports.length === 0 : coversPort(t, port)))),
    );
    let allowed: Sources;
    if (allows.length > 0) {
      let m = EMPTY_PEERS;
      let p = false;
      for (const rule of allows) {
        const s = sourcesOf(rule, inputs.mesh.trustDomain, notes);
        m = unionPeers(m, s.meshed);
        p ||= s.plaintext;
        sources.add(rule.name);
        if (rule.to.some((t) => isL7(t) && coversPort(t, port))) {
          notes.add(
            `${rule.name}: matches HTTP methods/paths; its callers are allowed at L4 and the proxy enforces the L7 match`,
          );
        }
      }
      allowed = { meshed: m, plaintext: p };
    } else {
      allowed =
        message.defaultAction === 'DEFAULT_ACTION_DENY'
          ? { meshed: EMPTY_PEERS, plaintext: false }
          : message.defaultAction === 'DEFAULT_ACTION_ALLOW_AUTHENTICATED'
            ? { meshed: ALL_PEERS, plaintext: false }
            : { meshed: ALL_PEERS, plaintext: true };
    }
    const m = subtractPeers(allowed.meshed, deniedMeshed);
    perPort.push(m);
    meshed = unionPeers(meshed, m);
    if (!strict && allowed.plaintext && !deniedPlaintext && port !== UNDECLARED) plaintextPorts.push(port);
  }
  if (perPort.some((p) => !samePeers(p, meshed) && !isEmptyPeers(meshed))) {
    notes.add(
      'callers allowed on some ports only: all mesh traffic arrives on the inbound port, where the proxy enforces the port',
    );
  }
  const annotated = Number(pod.metadata.annotations?.[INBOUND_PORT_ANNOTATION]);
  const inboundPort =
    Number.isInteger(annotated) && annotated > 0 && annotated < 65536 ? annotated : DEFAULT_INBOUND_PORT;
  return {
    meshed,
    plaintextPorts,
    inboundPort,
    notes: [...notes].sort(),
    sources: [...sources].sort(),
  };
}
