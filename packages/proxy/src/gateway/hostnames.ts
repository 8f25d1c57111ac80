/** Host matching as the Gateway API defines it: exact names, and "*.example.com" wildcards (one or more labels). */

/** The host part of a Host header or :authority, lower case, without port or trailing dot. */
export function hostOf(authority: string): string {
  let host = authority;
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    host = end < 0 ? host : host.slice(0, end + 1);
  } else {
    const colon = host.lastIndexOf(':');
    if (colon >= 0) host = host.slice(0, colon);
  }
  host = host.toLowerCase();
  return host.endsWith('.') ? host.slice(0, -1) : host;
}

/**
 * How well `pattern` ("" for any, "example.com", "*.example.com") matches `host`: -1 no match;
 * otherwise a rank where higher is more specific (an exact name beats every wildcard, a longer
 * wildcard suffix beats a shorter one, and "" comes last).
 */
export function hostMatchRank(pattern: string, host: string): number {
  if (pattern === '') return 0;
  if (pattern.startsWith('*.')) {
    const suffix = pattern.slice(1); // ".example.com"
    return host.length > suffix.length && host.endsWith(suffix) ? suffix.length : -1;
  }
  return pattern === host ? Number.MAX_SAFE_INTEGER : -1;
}

/** True when any of `patterns` matches `host` (an empty list matches every host). */
export function anyHostMatches(patterns: readonly string[], host: string): boolean {
  if (patterns.length === 0) return true;
  for (const p of patterns) if (hostMatchRank(p, host) >= 0) return true;
  return false;
}
