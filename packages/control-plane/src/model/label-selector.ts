/**
 * Kubernetes label selectors (matchLabels and matchExpressions), as NetworkPolicies
 * (netpol/evaluate.ts) and Gateway listeners' allowed route namespaces (gateway/translate.ts)
 * use them. Pure.
 */

export interface SelectorRequirement {
  readonly key: string;
  readonly operator: string;
  readonly values?: readonly string[] | undefined;
}

export interface Selector {
  readonly matchLabels?: Readonly<Record<string, string>> | undefined;
  readonly matchExpressions?: readonly SelectorRequirement[] | undefined;
}

/** True when `labels` satisfy `selector`; an empty selector matches everything. */
export function selectorMatches(
  selector: Selector | undefined,
  labels: Readonly<Record<string, string>>,
): boolean {
  for (const [k, v] of Object.entries(selector?.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const r of selector?.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, r.key);
    const value = labels[r.key];
    const values = r.values ?? [];
    switch (r.operator) {
      case 'In':
        if (!has || value === undefined || !values.includes(value)) return false;
        break;
      case 'NotIn':
        if (has && value !== undefined && values.includes(value)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        // An operator Kubernetes does not define selects nothing.
        return false;
    }
  }
  return true;
}
