// Semantic check of the generated NetworkPolicies: for every pair of workloads in each fixture,
// the connection is allowed at L4 (by the NetworkPolicy evaluator) if and only if the mesh
// allows some request of that caller (by the proxy's own authorization decision over the
// inbound policy the control plane serves). Meshed callers reach the proxy's inbound port;
// plaintext callers reach the app ports.
import type { PodResource } from '@weft/api';
import {
  compileNetworkPolicies,
  evaluateConnection,
  inboundPolicy,
  type NetpolEndpoint,
  serviceFromResource,
} from '@weft/control-plane';
import { decideAuthz, type InboundPolicy } from '@weft/proxy';
import { describe, expect, it } from 'vitest';
import { FIXTURES, inputsOf, loadWorld, type World } from './fixture.js';

const SA_LABEL = 'weft.dev/service-account';
/** A port no container or Service declares. */
const UNDECLARED_PORT = 64999;

function endpointOf(world: World, pod: PodResource): NetpolEndpoint {
  const ns = world.namespaces.find((n) => n.metadata.name === pod.metadata.namespace);
  const namedPorts: Record<string, number> = {};
  for (const c of pod.spec.containers)
    for (const p of c.ports ?? []) if (p.name) namedPorts[p.name] = p.containerPort;
  return {
    namespace: pod.metadata.namespace ?? 'default',
    namespaceLabels: ns?.metadata.labels ?? {},
    labels: pod.metadata.labels ?? {},
    ip: pod.status?.podIP,
    namedPorts,
  };
}

function isMeshed(pod: PodResource): boolean {
  return pod.metadata.annotations?.['weft.dev/injected-version'] !== undefined;
}

function servicesOf(world: World, pod: PodResource) {
  return world.services
    .map((s) => serviceFromResource(s, world.mesh.proxy.opaquePorts))
    .filter(
      (s) =>
        s.namespace === pod.metadata.namespace &&
        s.selector !== undefined &&
        Object.keys(s.selector).length > 0 &&
        Object.entries(s.selector).every(([k, v]) => pod.metadata.labels?.[k] === v),
    );
}

function declaredPorts(world: World, pod: PodResource): number[] {
  const ports = new Set<number>();
  const named = new Map<string, number>();
  for (const c of pod.spec.containers)
    for (const p of c.ports ?? []) {
      ports.add(p.containerPort);
      if (p.name) named.set(p.name, p.containerPort);
    }
  for (const s of servicesOf(world, pod))
    for (const sp of s.ports) {
      const port = typeof sp.targetPort === 'number' ? sp.targetPort : named.get(sp.targetPort);
      if (port !== undefined) ports.add(port);
    }
  return [...ports];
}

function servedPolicy(world: World, pod: PodResource): InboundPolicy {
  const ns = world.namespaces.find((n) => n.metadata.name === pod.metadata.namespace);
  return inboundPolicy(
    {
      namespace: pod.metadata.namespace ?? 'default',
      workload: pod.metadata.name,
      labels: pod.metadata.labels ?? {},
      inboundPorts: declaredPorts(world, pod).map((port) => ({ port, protocol: 'detect' })),
    },
    {
      mesh: world.mesh,
      services: servicesOf(world, pod),
      policies: world.policies.filter((p) => p.metadata.namespace === pod.metadata.namespace),
      namespaceAnnotations: ns?.metadata.annotations ?? {},
      podAnnotations: pod.metadata.annotations ?? {},
    },
  ) as InboundPolicy;
}

/** Every request shape the fixture's policies can tell apart, and a bare connection. */
function requests(world: World): { method?: string; path?: string }[] {
  const methods = new Set(['GET', 'POST']);
  const paths = new Set(['/', '/other']);
  for (const p of world.policies)
    for (const t of p.spec.to) {
      for (const m of t.methods ?? []) methods.add(m);
      for (const path of t.paths ?? []) paths.add(path.endsWith('*') ? `${path.slice(0, -1)}x` : path);
    }
  const out: { method?: string; path?: string }[] = [{}];
  for (const method of methods) for (const path of paths) out.push({ method, path });
  return out;
}

function meshAllows(
  world: World,
  dst: PodResource,
  identity: string | undefined,
  ports: readonly number[],
): boolean {
  if (identity === undefined && world.mesh.mtls === 'strict') return false;
  const policy = servedPolicy(world, dst);
  return ports.some((port) =>
    requests(world).some((r) => decideAuthz(policy, { identity, port, ...r }).type === 'allow'),
  );
}

describe('generated NetworkPolicies allow at L4 exactly what the mesh allows', () => {
  for (const name of FIXTURES) {
    it(name, () => {
      const world = loadWorld(name);
      const { policies } = compileNetworkPolicies(inputsOf(world));
      // Only exact where every pod's mesh policy can be selected on its own (see label-conflict).
      const exact = name !== 'label-conflict';
      const targets = world.pods.filter((p) => isMeshed(p) && p.metadata.labels?.[SA_LABEL] !== undefined);
      let pairs = 0;
      let allowed = 0;
      for (const dst of targets) {
        const inbound = Number(dst.metadata.annotations?.['weft.dev/inbound-port'] ?? 7143);
        for (const src of world.pods) {
          if (src === dst) continue;
          const from = endpointOf(world, src);
          const to = endpointOf(world, dst);
          const where = `${src.metadata.namespace}/${src.metadata.name} -> ${dst.metadata.namespace}/${dst.metadata.name}`;
          if (isMeshed(src) && src.metadata.labels?.[SA_LABEL] !== undefined) {
            const l4 =
              evaluateConnection(policies, { from, to, port: inbound, protocol: 'TCP' }).type === 'allow';
            const id = `spiffe://${world.mesh.trustDomain}/ns/${src.metadata.namespace}/sa/${src.spec.serviceAccountName ?? 'default'}`;
            const mesh = meshAllows(world, dst, id, [...declaredPorts(world, dst), UNDECLARED_PORT]);
            if (exact) expect({ where, l4 }).toEqual({ where, l4: mesh });
            else if (l4) expect({ where, mesh }).toEqual({ where, mesh: true });
            pairs++;
            if (l4) allowed++;
          } else {
            const l4Inbound = evaluateConnection(policies, { from, to, port: inbound, protocol: 'TCP' }).type;
            expect({ where, l4Inbound }).toEqual({ where, l4Inbound: 'deny' });
            for (const port of declaredPorts(world, dst)) {
              const l4 = evaluateConnection(policies, { from, to, port, protocol: 'TCP' }).type === 'allow';
              const mesh = meshAllows(world, dst, undefined, [port]);
              if (exact) expect({ where, port, l4 }).toEqual({ where, port, l4: mesh });
              else if (l4) expect({ where, port, mesh }).toEqual({ where, port, mesh: true });
              pairs++;
              if (l4) allowed++;
            }
          }
          // The admin port stays open for probes and scrapes.
          expect(evaluateConnection(policies, { from, to, port: 7191, protocol: 'TCP' }).type).toBe('allow');
        }
      }
      // The fixture exercises both outcomes.
      expect(allowed).toBeGreaterThan(0);
      expect(allowed).toBeLessThan(pairs);
    });
  }
});
