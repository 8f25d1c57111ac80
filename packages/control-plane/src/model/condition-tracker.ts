/**
 * The condition of each split, route and policy. A resource attached to several services (an
 * HTTPRoute with two parents) gets one condition per service; its overall condition is the first
 * rejection, else accepted.
 */
import type { Condition } from './routing.js';

/** Kinds whose condition comes from evaluating what they attach to. */
export const EVALUATED_KINDS: ReadonlySet<string> = new Set([
  'TrafficSplit',
  'HTTPRoute',
  'TrafficPolicy',
  'AuthorizationPolicy',
  'StaticEndpoints',
]);

export class ConditionTracker {
  private readonly bySvc = new Map<string, Map<string, Condition>>();

  /**
   * Records `condition` of resource `key` from evaluating service `svc` (dropping services it no
   * longer attaches to) and returns the new overall condition when it changed, else undefined.
   */
  set(key: string, svc: string, condition: Condition, attachedTo: readonly string[]): Condition | undefined {
    let perSvc = this.bySvc.get(key);
    if (perSvc === undefined) {
      perSvc = new Map();
      this.bySvc.set(key, perSvc);
    }
    const before = merge(perSvc);
    perSvc.set(svc, condition);
    for (const other of perSvc.keys()) if (!attachedTo.includes(other)) perSvc.delete(other);
    const after = merge(perSvc);
    return same(before, after) ? undefined : after;
  }

  /** The overall condition of resource `key`, if it has one. */
  get(key: string): Condition | undefined {
    const perSvc = this.bySvc.get(key);
    return perSvc === undefined ? undefined : merge(perSvc);
  }

  /** Forgets a resource; true when it had a condition. */
  delete(key: string): boolean {
    return this.bySvc.delete(key);
  }

  /** The overall condition of every tracked resource. */
  *entries(): IterableIterator<[string, Condition]> {
    for (const [key, perSvc] of this.bySvc) {
      const c = merge(perSvc);
      if (c !== undefined) yield [key, c];
    }
  }
}

function merge(perSvc: ReadonlyMap<string, Condition>): Condition | undefined {
  let out: Condition | undefined;
  for (const c of perSvc.values()) {
    if (c.status === 'rejected') return c;
    out = c;
  }
  return out;
}

function same(a: Condition | undefined, b: Condition | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.status !== b.status) return false;
  return (
    a.status === 'accepted' || (b.status === 'rejected' && a.reason === b.reason && a.message === b.message)
  );
}
