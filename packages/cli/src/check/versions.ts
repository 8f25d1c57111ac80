/** Pure: do the proxies run the control plane's version? */
import { type CheckResult, ok, warn } from './result.js';

/** One proxy and the version it reports (undefined when it does not say). */
export interface ProxyVersion {
  /** `namespace/pod` in Kubernetes, the workload identity locally. */
  readonly proxy: string;
  readonly version: string | undefined;
}

/** How many mismatched proxies the hint names before it says "and N more". */
const LISTED = 10;

/**
 * Ok when every proxy runs `expected` (or there is none); a warning naming the others
 * otherwise: old proxies keep working, but should be restarted onto the new version.
 */
export function versionsCheck(
  name: string,
  expected: string,
  proxies: readonly ProxyVersion[],
  remedy: string,
  none = `no meshed proxies; control plane ${expected}`,
): CheckResult {
  if (proxies.length === 0) return ok(name, none);
  const others = proxies.filter((p) => p.version !== expected);
  if (others.length === 0) {
    return ok(name, `${proxies.length} prox${proxies.length === 1 ? 'y' : 'ies'} at ${expected}`);
  }
  const listed = others.slice(0, LISTED).map((p) => `${p.proxy} runs ${p.version ?? 'an unknown version'}`);
  if (others.length > LISTED) listed.push(`and ${others.length - LISTED} more`);
  return warn(
    name,
    `${others.length} of ${proxies.length} proxies do not run ${expected}: ${listed.join('; ')}\n${remedy}`,
  );
}
