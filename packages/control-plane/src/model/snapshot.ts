/** The mesh model as plain data, for /debug/state. */
import { formatRef } from '../sources/config-source.js';
import { formatRejection } from '../sources/rejection.js';
import type { MeshState } from './mesh-state.js';

export function snapshotOf(state: MeshState): Record<string, unknown> {
  return {
    version: state.version,
    meshConfig: state.meshConfig(),
    services: state.allServices().map((s) => ({
      ...s,
      endpoints: Object.fromEntries(s.ports.map((p) => [p.port, state.endpoints(s, p.port).length])),
      // Each served endpoint, by service port: what proxies balance over (the demo's view shows
      // these), at the address a proxy dials: a meshed endpoint's inbound listener port.
      endpointAddresses: Object.fromEntries(
        s.ports.map((p) => [
          p.port,
          state.endpoints(s, p.port).map((e) => ({
            address: `${e.address}:${e.meshed?.inboundPort ?? e.port}`,
            identity: e.identity,
          })),
        ]),
      ),
      routed: state.evaluation(s.namespace, s.name)?.routing !== undefined,
    })),
    registrations: state.allRegistrations().map((r) => ({
      identity: r.identity,
      service: r.service,
      workload: r.workload,
      address: r.address,
      ports: r.ports.map((p) => p.port),
    })),
    conditions: state.allConditions().map((c) => {
      const { fieldLines: _, ...origin } = c.origin;
      return {
        resource: formatRef(c.ref),
        origin,
        ...c.condition,
        ...(c.condition.status === 'rejected'
          ? { text: formatRejection(c.ref, c.origin, c.condition.message, c.condition.reason) }
          : {}),
      };
    }),
  };
}
