/**
 * Reconnect grace: right after the discovery stream comes back, the control plane may not know
 * every endpoint yet (it restarted and proxies are still re-registering, one by one). During the
 * grace period an answer that would drop any endpoint of a name the proxy already resolved is
 * held back: the new endpoints serve at once, beside the last known ones it lacks; the held
 * answer applies when grace ends.
 */
import type { Destination, DestinationBackend, DestinationEndpoint, Resolution } from './resolver.js';

/** What to serve for a name during grace: the new answer, or the old endpoints kept. */
export type GraceDecision =
  | { readonly type: 'apply' }
  | { readonly type: 'hold'; readonly serve: Resolution };

function hasEndpoints(backend: DestinationBackend | undefined): boolean {
  return backend !== undefined && backend.endpoints.length > 0;
}

/** An endpoint's identity: address, port and meshed inbound port (as the balancer keys it). */
function keyOf(e: DestinationEndpoint): string {
  return `${e.address}:${e.meshed?.inboundPort ?? 0}>${e.port}`;
}

/**
 * Decides whether `next` may replace `previous` during grace. A does-not-exist for a
 * destination that had endpoints is held; a backend that lacks endpoints it had keeps them
 * beside its new ones (a replica that has not re-registered yet is not dropped; a new one
 * serves at once). Routes and policy are always the new ones.
 */
export function decideDuringGrace(previous: Resolution | undefined, next: Resolution): GraceDecision {
  if (previous?.type !== 'destination') return { type: 'apply' };
  const before = new Map(previous.destination.backends.map((b) => [b.name, b]));
  if (!previous.destination.backends.some(hasEndpoints)) return { type: 'apply' };
  if (next.type === 'does-not-exist') return { type: 'hold', serve: previous };
  let kept = false;
  const backends = next.destination.backends.map((b) => {
    const old = before.get(b.name);
    if (old === undefined || !hasEndpoints(old)) return b;
    const present = new Set(b.endpoints.map(keyOf));
    const missing = old.endpoints.filter((e) => !present.has(keyOf(e)));
    if (missing.length === 0) return b;
    kept = true;
    return { ...b, endpoints: [...b.endpoints, ...missing] };
  });
  if (!kept) return { type: 'apply' };
  const destination: Destination = { ...next.destination, backends };
  return { type: 'hold', serve: { type: 'destination', destination } };
}
