// Netpol fixtures: one YAML file per world (mesh config ConfigMap, Namespaces, Pods, Services,
// AuthorizationPolicies), parsed with the schemas the control plane uses.
import { readFileSync } from 'node:fs';
import {
  type AuthorizationPolicyResource,
  authorizationPolicySchema,
  type MeshConfig,
  meshConfigSchema,
  type NamespaceResource,
  namespaceResourceSchema,
  type PodResource,
  podResourceSchema,
  type ServiceResource,
  serviceResourceSchema,
} from '@weft/api';
import type { NetpolInputs } from '@weft/control-plane';
import { parse, parseAllDocuments } from 'yaml';

export const FIXTURES = ['shop-strict', 'default-deny-permissive', 'label-conflict'] as const;

export interface World {
  readonly mesh: MeshConfig;
  readonly namespaces: NamespaceResource[];
  readonly pods: PodResource[];
  readonly services: ServiceResource[];
  readonly policies: AuthorizationPolicyResource[];
  /** Every document as written (for creating them in an API server). */
  readonly raw: Record<string, any>[];
}

export function fixturePath(name: string): URL {
  return new URL(`../fixtures/netpol/${name}.yaml`, import.meta.url);
}

export function loadWorld(name: string): World {
  const raw = parseAllDocuments(readFileSync(fixturePath(name), 'utf8')).map(
    (d) => d.toJS() as Record<string, any>,
  );
  let mesh = meshConfigSchema.parse({});
  const world: World = { mesh, namespaces: [], pods: [], services: [], policies: [], raw };
  for (const doc of raw) {
    switch (doc.kind) {
      case 'ConfigMap':
        mesh = meshConfigSchema.parse(parse(doc.data['config.yaml']));
        break;
      case 'Namespace':
        world.namespaces.push(namespaceResourceSchema.parse(doc));
        break;
      case 'Pod':
        world.pods.push(podResourceSchema.parse(doc));
        break;
      case 'Service':
        world.services.push(serviceResourceSchema.parse(doc));
        break;
      case 'AuthorizationPolicy':
        world.policies.push(authorizationPolicySchema.parse(doc));
        break;
      default:
        throw new Error(`${name}: unexpected kind ${doc.kind}`);
    }
  }
  return { ...world, mesh };
}

export function inputsOf(world: World): NetpolInputs {
  return {
    mesh: world.mesh,
    namespaces: world.namespaces,
    pods: world.pods,
    services: world.services,
    policies: world.policies,
    controlPlaneNamespace: 'weft-system',
  };
}
