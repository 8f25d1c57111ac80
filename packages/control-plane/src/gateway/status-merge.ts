/**
 * Merges the status the translation wants into the status a resource has: conditions get
 * observedGeneration and a lastTransitionTime that moves only when the condition's status
 * does; route parents of other controllers are kept. Pure; the writer compares the result with
 * what is stored and writes only a difference.
 */
import type { GatewayStatusDoc, StatusCondition } from './gateway-status.js';

type Obj = Record<string, unknown>;

/** The controller name in route parent statuses written by weft's gateway. */
export const GATEWAY_CONTROLLER = 'weft.dev/gateway';

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function list(v: unknown): Obj[] {
  return Array.isArray(v) ? v.filter(isObj) : [];
}

function timed(
  wanted: readonly StatusCondition[],
  old: unknown,
  generation: number | undefined,
  now: string,
): Obj[] {
  const before = list(old);
  return wanted.map((c) => {
    const prev = before.find((o) => o.type === c.type);
    const keep =
      prev !== undefined && prev.status === c.status && typeof prev.lastTransitionTime === 'string';
    return {
      type: c.type,
      status: c.status,
      reason: c.reason,
      message: c.message.slice(0, 32_768),
      lastTransitionTime: keep ? prev.lastTransitionTime : now,
      ...(generation === undefined ? {} : { observedGeneration: generation }),
    };
  });
}

function sameRef(a: unknown, b: Readonly<Obj>): boolean {
  if (!isObj(a)) return false;
  const norm = (r: Readonly<Obj>) =>
    canonicalJson({ ...r, group: r.group ?? 'gateway.networking.k8s.io', kind: r.kind ?? 'Gateway' });
  return norm(a) === norm(b);
}

/**
 * The status to store: `wanted` (undefined: weft has no say any more, so only its own route
 * parents are dropped) merged into `current`.
 */
export function mergeStatus(
  kind: string,
  wanted: GatewayStatusDoc | undefined,
  current: unknown,
  generation: number | undefined,
  now: string,
): Obj {
  const cur: Obj = isObj(current) ? current : {};
  if (kind === 'HTTPRoute' || kind === 'GRPCRoute') {
    const old = list(cur.parents);
    const others = old.filter((p) => p.controllerName !== GATEWAY_CONTROLLER);
    const ours =
      wanted === undefined || !('parents' in wanted)
        ? []
        : wanted.parents.map((p) => {
            const prev = old.find(
              (o) => o.controllerName === GATEWAY_CONTROLLER && sameRef(o.parentRef, p.parentRef),
            );
            return {
              parentRef: p.parentRef,
              controllerName: GATEWAY_CONTROLLER,
              conditions: timed(p.conditions, prev?.conditions, generation, now),
            };
          });
    return { ...cur, parents: [...others, ...ours].slice(0, 32) };
  }
  if (wanted === undefined) return cur;
  if (wanted.kind === 'GatewayClass')
    return { ...cur, conditions: timed(wanted.conditions, cur.conditions, generation, now) };
  if (wanted.kind === 'Gateway') {
    const oldListeners = list(cur.listeners);
    const { addresses: _unknown, ...rest } = cur;
    return {
      ...rest,
      // weft owns this Gateway's status: addresses it does not know are not left stale.
      ...(wanted.addresses.length === 0 ? {} : { addresses: wanted.addresses.slice(0, 16) }),
      conditions: timed(wanted.conditions, cur.conditions, generation, now),
      listeners: wanted.listeners.map((l) => ({
        name: l.name,
        supportedKinds: l.supportedKinds,
        attachedRoutes: l.attachedRoutes,
        conditions: timed(
          l.conditions,
          oldListeners.find((o) => o.name === l.name)?.conditions,
          generation,
          now,
        ),
      })),
    };
  }
  return cur;
}

/** JSON with object keys sorted, to compare a status with what the API server stored (it reorders keys). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    isObj(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, v[k]]),
        )
      : v,
  );
}
