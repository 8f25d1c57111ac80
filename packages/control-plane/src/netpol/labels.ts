/** Label keys and fixed values shared by the NetworkPolicy generator, its controller, the injector and `weft check`. */

/**
 * Pod label the injector writes with the pod's ServiceAccount name. NetworkPolicy selects pods
 * by label only, so this is how a generated policy names a mesh identity at L4.
 */
export const SERVICE_ACCOUNT_LABEL = 'weft.dev/service-account';

/** Every generated NetworkPolicy carries this label; the controller touches nothing without it. */
export const GENERATED_LABEL = 'weft.dev/generated';
export const GENERATED_VALUE = 'network-policy';
/** The label selector (`key=value`) for the objects weft owns. */
export const GENERATED_SELECTOR = `${GENERATED_LABEL}=${GENERATED_VALUE}`;

/** Annotation listing what the generator could not express exactly (L7 matches, unselectable peers). */
export const NOTES_ANNOTATION = 'weft.dev/netpol-notes';
/** Annotation naming the AuthorizationPolicies a generated object was compiled from. */
export const SOURCES_ANNOTATION = 'weft.dev/netpol-sources';

/** The label every namespace carries (Kubernetes >= 1.22) with its own name. */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/** Label values: at most 63 characters, alphanumeric at both ends, `-_.` inside. */
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** True when `value` can be a label value (so a selector can match it). */
export function isLabelValue(value: string): boolean {
  return value.length <= 63 && LABEL_VALUE.test(value);
}

/** Labels that differ between replicas or rollouts of one workload; never used in a generated selector. */
export const VOLATILE_LABELS: readonly string[] = [
  'pod-template-hash',
  'controller-revision-hash',
  'statefulset.kubernetes.io/pod-name',
  'apps.kubernetes.io/pod-index',
  'pod-template-generation',
];
