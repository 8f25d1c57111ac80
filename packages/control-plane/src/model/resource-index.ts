/**
 * The stored resources and registrations of the mesh model, indexed the ways MeshState looks
 * them up. MeshState extends it and keeps the indexes up to date as it applies events.
 */
import {
  type EndpointSliceResource,
  type PodResource,
  SERVICE_NAME_LABEL,
  type StaticEndpointsResource,
} from '@weft/api';
import { type Origin, type Registration, type ResourceRef, refKey } from '../sources/config-source.js';
import { MultiIndex } from './multi-index.js';
import type { ParsedResource } from './resource-parse.js';

/** A stored resource: its ref, where it came from, and its parsed form. */
export interface StoredResource {
  readonly ref: ResourceRef;
  readonly origin: Origin;
  readonly parsed: ParsedResource;
}

/** Indexes over stored resources and registrations, with the queries that read them. */
export class ResourceIndex {
  readonly store = new Map<string, StoredResource>();
  protected readonly byKind = new MultiIndex<string>();
  protected readonly slicesBySvc = new MultiIndex<string>();
  protected readonly staticBySvc = new MultiIndex<string>();
  protected readonly slicesByPod = new MultiIndex<string>();
  protected readonly registrations = new Map<string, Registration>();
  protected readonly regsBySvc = new MultiIndex<string>();
  protected readonly regsByWorkload = new MultiIndex<string>();

  /** Stored resources of one kind. */
  resourcesOf(kind: ResourceRef['kind']): StoredResource[] {
    return [...this.byKind.get(kind)].map((k) => this.store.get(k) as StoredResource);
  }

  get(ref: ResourceRef): StoredResource | undefined {
    return this.store.get(refKey(ref));
  }

  slicesOf(namespace: string, service: string): EndpointSliceResource[] {
    return [...this.slicesBySvc.get(`${namespace}/${service}`)].flatMap((k) => {
      const p = this.store.get(k)?.parsed;
      return p?.kind === 'EndpointSlice' ? [p.value] : [];
    });
  }

  staticOf(namespace: string, service: string): StaticEndpointsResource[] {
    return [...this.staticBySvc.get(`${namespace}/${service}`)].flatMap((k) => {
      const p = this.store.get(k)?.parsed;
      return p?.kind === 'StaticEndpoints' ? [p.value] : [];
    });
  }

  registrationsOf(namespace: string, service: string): Registration[] {
    return [...this.regsBySvc.get(`${namespace}/${service}`)].map(
      (id) => this.registrations.get(id) as Registration,
    );
  }

  registrationOfWorkload(namespace: string, workload: string): Registration | undefined {
    const [id] = this.regsByWorkload.get(`${namespace}/${workload}`);
    return id === undefined ? undefined : this.registrations.get(id);
  }

  pod(namespace: string, name: string): PodResource | undefined {
    const p = this.store.get(refKey({ kind: 'Pod', namespace, name }))?.parsed;
    return p?.kind === 'Pod' ? p.value : undefined;
  }

  /** Services whose EndpointSlices name the pod. */
  servicesOfPod(namespace: string, pod: string): string[] {
    const out = new Set<string>();
    for (const slice of this.slicesByPod.get(`${namespace}/${pod}`)) {
      const name = this.store.get(slice)?.parsed.value.metadata.labels?.[SERVICE_NAME_LABEL];
      if (name !== undefined) out.add(name);
    }
    return [...out];
  }

  namespaceAnnotations(namespace: string): Readonly<Record<string, string>> {
    const p = this.store.get(refKey({ kind: 'Namespace', namespace: '', name: namespace }))?.parsed;
    return p?.kind === 'Namespace' ? (p.value.metadata.annotations ?? {}) : {};
  }

  registrationCount(): number {
    return this.registrations.size;
  }

  /** Every live registration. */
  allRegistrations(): Registration[] {
    return [...this.registrations.values()];
  }
}
