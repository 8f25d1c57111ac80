/** The generator's inputs from the control plane's mesh state (what its informers hold). */
import type { AuthorizationPolicyResource, NamespaceResource, PodResource, ServiceResource } from '@weft/api';
import type { MeshState } from '../model/mesh-state.js';
import type { NetpolInputs } from './compile.js';

/** Every Namespace, Pod, Service and AuthorizationPolicy the state holds, and its mesh config. */
export function netpolInputsFromState(state: MeshState, controlPlaneNamespace: string): NetpolInputs {
  const namespaces: NamespaceResource[] = [];
  const pods: PodResource[] = [];
  const services: ServiceResource[] = [];
  const policies: AuthorizationPolicyResource[] = [];
  for (const r of state.resourcesOf('Namespace'))
    if (r.parsed.kind === 'Namespace') namespaces.push(r.parsed.value);
  for (const r of state.resourcesOf('Pod')) if (r.parsed.kind === 'Pod') pods.push(r.parsed.value);
  for (const r of state.resourcesOf('Service'))
    if (r.parsed.kind === 'Service') services.push(r.parsed.value);
  for (const r of state.resourcesOf('AuthorizationPolicy')) {
    if (r.parsed.kind === 'AuthorizationPolicy') policies.push(r.parsed.value);
  }
  return { mesh: state.meshConfig(), namespaces, pods, services, policies, controlPlaneNamespace };
}
