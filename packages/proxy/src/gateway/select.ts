/** Picks the listener (by Host) and the route (first match, in the pushed precedence order) for a request. Pure. */
import { type CompiledMatch, ParsedRequest, pathMatches, type RouteRequest, restMatches } from '@weft/core';
import type { CompiledListener, CompiledPort, CompiledRoute } from './compiled.js';
import { anyHostMatches, hostMatchRank } from './hostnames.js';

export type RouteSelection =
  | { readonly type: 'no-listener' }
  | { readonly type: 'no-route'; readonly listener: CompiledListener }
  | {
      readonly type: 'route';
      readonly listener: CompiledListener;
      readonly route: CompiledRoute;
      /** The match that matched (undefined for a route without matches). */
      readonly match: CompiledMatch | undefined;
    };

/** The listener on `port` whose hostname matches `host` best (exact over wildcard over any). */
export function selectListener(port: CompiledPort, host: string): CompiledListener | undefined {
  let best: CompiledListener | undefined;
  let bestRank = -1;
  for (const l of port.listeners) {
    const rank = hostMatchRank(l.hostname, host);
    if (rank > bestRank) {
      best = l;
      bestRank = rank;
    }
  }
  return best;
}

/** The listener, then the first of its routes whose hostnames and any match fit the request. */
export function selectRoute(port: CompiledPort, host: string, request: RouteRequest): RouteSelection {
  const listener = selectListener(port, host);
  if (listener === undefined) return { type: 'no-listener' };
  const parsed = new ParsedRequest(request);
  for (const route of listener.routes) {
    if (!anyHostMatches(route.hostnames, host)) continue;
    if (route.matches.length === 0) return { type: 'route', listener, route, match: undefined };
    for (const m of route.matches) {
      if (pathMatches(m, parsed.pathOnly) && restMatches(m, parsed)) {
        return { type: 'route', listener, route, match: m };
      }
    }
  }
  return { type: 'no-route', listener };
}
