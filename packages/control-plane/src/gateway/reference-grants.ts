/** ReferenceGrant checks: may an object in one namespace refer to an object in another? Pure. */
import type { ReferenceGrantResource } from '@weft/api';

export interface CrossReference {
  readonly fromGroup: string;
  readonly fromKind: string;
  readonly fromNamespace: string;
  readonly toGroup: string;
  readonly toKind: string;
  readonly toNamespace: string;
  readonly toName: string;
}

/** "core" and "" both name the core group. */
function group(g: string): string {
  return g === 'core' ? '' : g;
}

/** True when the reference stays in its namespace, or a ReferenceGrant in the target's namespace allows it. */
export function referenceAllowed(grants: readonly ReferenceGrantResource[], ref: CrossReference): boolean {
  if (ref.fromNamespace === ref.toNamespace) return true;
  return grants.some(
    (g) =>
      (g.metadata.namespace ?? 'default') === ref.toNamespace &&
      g.spec.from.some(
        (f) =>
          group(f.group) === group(ref.fromGroup) &&
          f.kind === ref.fromKind &&
          f.namespace === ref.fromNamespace,
      ) &&
      g.spec.to.some(
        (t) =>
          group(t.group) === group(ref.toGroup) &&
          t.kind === ref.toKind &&
          (t.name === undefined || t.name === ref.toName),
      ),
  );
}
