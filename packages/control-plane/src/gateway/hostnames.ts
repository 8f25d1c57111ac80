/**
 * Gateway API hostname rules: a listener hostname and a route's hostnames intersect, and
 * among the routes a request could take the most specific hostname wins. "*.example.com" is a
 * suffix match: it matches "a.example.com" and "a.b.example.com", not "example.com". Pure.
 */

/** True when `host` (exact or wildcard) is covered by `pattern` (exact or wildcard). */
export function hostnameCovers(pattern: string, host: string): boolean {
  if (pattern === host) return true;
  if (!pattern.startsWith('*.')) return false;
  const suffix = pattern.slice(1); // ".example.com"
  const name = host.startsWith('*.') ? host.slice(2) : host;
  return name.endsWith(suffix) && name.length > suffix.length;
}

/**
 * The hostnames a route serves on a listener: `undefined` when none intersect (the route is
 * not accepted there), `[]` when both are unrestricted (any host the listener serves).
 * Route hostnames outside the listener's are dropped; a route wildcard wider than the
 * listener's hostname narrows to the listener's.
 */
export function intersectHostnames(
  listener: string | undefined,
  route: readonly string[],
): string[] | undefined {
  if (route.length === 0) return listener === undefined ? [] : [listener];
  if (listener === undefined) return [...route];
  const out = new Set<string>();
  for (const h of route) {
    if (hostnameCovers(listener, h)) out.add(h);
    else if (hostnameCovers(h, listener)) out.add(listener);
  }
  return out.size === 0 ? undefined : [...out];
}

/**
 * A sort key for hostname precedence (smaller first): an exact hostname before any wildcard,
 * a longer one before a shorter one, and no hostname (any) last.
 */
export function hostnameKey(hostname: string | undefined): [number, number] {
  if (hostname === undefined || hostname === '') return [2, 0];
  return hostname.startsWith('*.') ? [1, -hostname.length] : [0, -hostname.length];
}

/** True when two hostname sets ([] = any) can match a common request host. */
export function hostnamesOverlap(a: readonly string[], b: readonly string[]): boolean {
  if (a.length === 0 || b.length === 0) return true;
  return a.some((x) => b.some((y) => hostnameCovers(x, y) || hostnameCovers(y, x)));
}
