/** What the page knows: the server's info, the latest snapshot, and a bounded history for the charts. */
import type { Info, Snapshot } from './types.js';

/** Snapshots kept for charts: 150 × 2 s = 5 minutes. */
export const HISTORY = 150;

export interface Store {
  info: Info;
  latest: Snapshot | undefined;
  history: Snapshot[];
  /** The last problem reaching the control plane, cleared by the next snapshot. */
  problem: string | undefined;
}

export function newStore(info: Info): Store {
  return { info, latest: undefined, history: [], problem: undefined };
}

/** Adds a snapshot (ignores one already seen). */
export function push(store: Store, snap: Snapshot): void {
  if (store.latest !== undefined && store.latest.at === snap.at && store.latest.sequence === snap.sequence)
    return;
  store.latest = snap;
  store.problem = undefined;
  store.history.push(snap);
  if (store.history.length > HISTORY) store.history.splice(0, store.history.length - HISTORY);
}

/** The service name and namespace of an authority (`api.demo:80`, `api.demo.svc.cluster.local:80`). */
export function serviceOfAuthority(authority: string): { name: string; namespace: string | undefined } {
  const host = authority.replace(/:\d+$/, '');
  const [name = host, namespace] = host.split('.');
  return { name, namespace };
}

/** Jaeger's search for a service (and an optional tag), when tracing is on and a Jaeger URL is set. */
export function jaegerSearch(
  store: Store,
  service: string,
  tags?: Record<string, string>,
): string | undefined {
  const base = store.info.jaegerUrl;
  if (base === null || store.latest === undefined || store.latest.mesh.tracingEndpoint === '')
    return undefined;
  const u = new URL('search', base.endsWith('/') ? base : `${base}/`);
  u.searchParams.set('service', service);
  if (tags !== undefined) u.searchParams.set('tags', JSON.stringify(tags));
  return u.toString();
}
