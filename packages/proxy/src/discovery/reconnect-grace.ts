/**
 * Reconnect grace: right after the discovery stream comes back, the control plane may not know
 * every endpoint yet (it restarted and proxies are still re-registering). During the grace
 * period an answer that would drop the endpoints of a name the proxy already resolved is held
 * back, and the last known endpoints keep serving; the held answer applies when grace ends.
 */
import type { Destination, DestinationBackend, Resolution } from './resolver.js';

/** What to serve for a name during grace: the new answer, or the old endpoints kept. */
export type GraceDecision =
  | { readonly type: 'apply' }
  | { readonly type: 'hold'; readonly serve: Resolution };

function hasEndpoints(backend: DestinationBackend | undefined): boolean {
  return backend !== undefined && backend.endpoints.length > 0;
}

/**
 * Decides whether `next` may replace `previous` during grace. A does-not-exist for a
 * destination that had endpoints is held; a destination whose backends lost every endpoint
 * keeps the previous endpoints of those backends (its routes and policy are the new ones).
 */
export function decideDuringGrace(previous: Resolution | undefined, next: Resolution): GraceDecision {
  if (previous?.type !== 'destination') return { type: 'apply' };
  const before = new Map(previous.destination.backends.map((b) => [b.name, b]));
  if (!previous.destination.backends.some(hasEndpoints)) return { type: 'apply' };
  if (next.type === 'does-not-exist') return { type: 'hold', serve: previous };
  let kept = false;
  const backends = next.destination.backends.map((b) => {
    const old = before.get(b.name);
    if (b.endpoints.length > 0 || old === undefined || !hasEndpoints(old)) return b;
    kept = true;
    return { ...b, endpoints: old.endpoints };
  });
  if (!kept) return { type: 'apply' };
  const destination: Destination = { ...next.destination, backends };
  return { type: 'hold', serve: { type: 'destination', destination } };
}
