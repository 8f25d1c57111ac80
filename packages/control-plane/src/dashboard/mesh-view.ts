/**
 * The configured side of the dashboard, read from the mesh model: services with their routes,
 * split weights and endpoints (identity, readiness), rejected resources with their reasons, and
 * the tracing config. Only what the control plane serves anyway; no key, token or secret.
 */

import type { MeshState } from '../model/mesh-state.js';
import type { ResourceBuilder } from '../model/resource-builder.js';
import { formatRef } from '../sources/config-source.js';
import { formatRejection, rejectionLine } from '../sources/rejection.js';

export interface EndpointView {
  readonly address: string;
  readonly identity: string;
  readonly ready: boolean;
  readonly zone: string;
}

export interface ServiceView {
  readonly namespace: string;
  readonly name: string;
  readonly ports: ReadonlyArray<{
    readonly port: number;
    readonly protocol: string;
    readonly routes: ReadonlyArray<{
      readonly name: string;
      readonly backends: ReadonlyArray<{ readonly backend: string; readonly weight: number }>;
    }>;
    readonly endpoints: readonly EndpointView[];
  }>;
}

/** A resource the control plane rejected, with where it came from. */
export interface RejectedView {
  readonly resource: string;
  readonly reason: string;
  readonly message: string;
  /** `file:line` in folder mode. */
  readonly location?: string;
  /** The Kubernetes object (`Kind namespace/name`) and the condition it carries. */
  readonly object?: string;
  readonly condition?: string;
  /** The whole line as `weft up` prints it. */
  readonly text: string;
}

export interface MeshView {
  readonly version: number;
  readonly trustDomain: string;
  readonly tracingEndpoint: string;
  readonly services: ServiceView[];
  readonly rejected: RejectedView[];
}

/** Reads the model. Services whose destinations cannot be built show with no routes. */
export function meshView(state: MeshState, builder: ResourceBuilder): MeshView {
  const mesh = state.meshConfig();
  const registrations = state.allRegistrations();
  const services: ServiceView[] = state.allServices().map((s) => ({
    namespace: s.namespace,
    name: s.name,
    ports: s.ports.map((p) => {
      const d = builder.destination(s.namespace, s.name, p.port);
      const routes =
        d.type === 'destination'
          ? (d.message.routes ?? []).map((r) => ({
              name: r.name ?? '',
              backends: (r.backends ?? []).map((b) => ({ backend: b.backend ?? '', weight: b.weight ?? 0 })),
            }))
          : [];
      const served = state.endpoints(s, p.port);
      const endpoints: EndpointView[] = served.map((e) => ({
        address: `${e.address}:${e.meshed?.inboundPort ?? e.port}`,
        identity: e.identity ?? '',
        ready: true,
        zone: e.zone ?? '',
      }));
      const seen = new Set(endpoints.map((e) => e.identity));
      // Local mode: a registered proxy of this service that is not served is not ready (yet).
      for (const r of registrations) {
        if (r.service === s.name && r.identity.includes(`/ns/${s.namespace}/`) && !seen.has(r.identity))
          endpoints.push({ address: r.address, identity: r.identity, ready: false, zone: '' });
      }
      return { port: p.port, protocol: String(p.protocol), routes, endpoints };
    }),
  }));
  const rejected: RejectedView[] = [];
  for (const c of state.allConditions()) {
    const cond = c.condition;
    if (cond.status !== 'rejected') continue;
    {
      const reason = cond.reason ?? 'Invalid';
      const text = formatRejection(c.ref, c.origin, cond.message, cond.reason);
      const line = rejectionLine(c.origin, cond.message);
      rejected.push({
        resource: formatRef(c.ref),
        reason,
        message: cond.message,
        text,
        ...(c.origin.file !== undefined
          ? { location: `${c.origin.file}:${line ?? 0}` }
          : { object: formatRef(c.ref), condition: `Accepted=False (${reason})` }),
      });
    }
  }
  return {
    version: state.version,
    trustDomain: mesh.trustDomain,
    tracingEndpoint: mesh.tracing.endpoint,
    services,
    rejected,
  };
}
