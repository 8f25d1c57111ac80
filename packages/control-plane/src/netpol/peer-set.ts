/**
 * Sets of mesh identities (namespace, ServiceAccount) as NetworkPolicy can select them: whole
 * namespaces, some or all-but-some ServiceAccounts of a namespace, and "every other namespace".
 * Immutable values; union, intersection and difference are exact, so a Deny can be subtracted
 * without widening anything.
 */

/** The ServiceAccounts of one namespace: a finite set, or all but a finite set. */
export type AccountSet =
  | { readonly kind: 'only'; readonly names: ReadonlySet<string> }
  | { readonly kind: 'all-except'; readonly names: ReadonlySet<string> };

/** Every meshed identity in namespaces not listed in `byNamespace` when `rest`, plus the listed ones. */
export interface PeerSet {
  readonly rest: boolean;
  readonly byNamespace: ReadonlyMap<string, AccountSet>;
}

const NONE_SA: AccountSet = { kind: 'only', names: new Set() };
const ALL_SA: AccountSet = { kind: 'all-except', names: new Set() };

export const EMPTY_PEERS: PeerSet = { rest: false, byNamespace: new Map() };
export const ALL_PEERS: PeerSet = { rest: true, byNamespace: new Map() };

/** Every ServiceAccount of `namespace`. */
export function namespacePeers(namespace: string): PeerSet {
  return { rest: false, byNamespace: new Map([[namespace, ALL_SA]]) };
}

/** One identity. */
export function accountPeer(namespace: string, serviceAccount: string): PeerSet {
  return {
    rest: false,
    byNamespace: new Map([[namespace, { kind: 'only', names: new Set([serviceAccount]) }]]),
  };
}

function accountsIn(set: PeerSet, namespace: string): AccountSet {
  return set.byNamespace.get(namespace) ?? (set.rest ? ALL_SA : NONE_SA);
}

function union<T>(a: ReadonlySet<T>, b: ReadonlySet<T>): Set<T> {
  return new Set([...a, ...b]);
}
function minus<T>(a: ReadonlySet<T>, b: ReadonlySet<T>): Set<T> {
  return new Set([...a].filter((x) => !b.has(x)));
}
function both<T>(a: ReadonlySet<T>, b: ReadonlySet<T>): Set<T> {
  return new Set([...a].filter((x) => b.has(x)));
}

function complement(s: AccountSet): AccountSet {
  return { kind: s.kind === 'only' ? 'all-except' : 'only', names: s.names };
}

function intersectAccounts(a: AccountSet, b: AccountSet): AccountSet {
  if (a.kind === 'all-except' && b.kind === 'all-except')
    return { kind: 'all-except', names: union(a.names, b.names) };
  if (a.kind === 'only' && b.kind === 'only') return { kind: 'only', names: both(a.names, b.names) };
  const [only, except] = a.kind === 'only' ? [a, b] : [b, a];
  return { kind: 'only', names: minus(only.names, except.names) };
}

function unionAccounts(a: AccountSet, b: AccountSet): AccountSet {
  return complement(intersectAccounts(complement(a), complement(b)));
}

function sameAccounts(a: AccountSet, b: AccountSet): boolean {
  return a.kind === b.kind && a.names.size === b.names.size && [...a.names].every((n) => b.names.has(n));
}

function combine(
  a: PeerSet,
  b: PeerSet,
  rest: boolean,
  op: (x: AccountSet, y: AccountSet) => AccountSet,
): PeerSet {
  const byNamespace = new Map<string, AccountSet>();
  const implied = rest ? ALL_SA : NONE_SA;
  for (const ns of new Set([...a.byNamespace.keys(), ...b.byNamespace.keys()])) {
    const s = op(accountsIn(a, ns), accountsIn(b, ns));
    // Normalized: a namespace is listed only where it differs from what `rest` implies.
    if (!sameAccounts(s, implied)) byNamespace.set(ns, s);
  }
  return { rest, byNamespace };
}

export function unionPeers(a: PeerSet, b: PeerSet): PeerSet {
  return combine(a, b, a.rest || b.rest, unionAccounts);
}

export function intersectPeers(a: PeerSet, b: PeerSet): PeerSet {
  return combine(a, b, a.rest && b.rest, intersectAccounts);
}

export function subtractPeers(a: PeerSet, b: PeerSet): PeerSet {
  return combine(a, b, a.rest && !b.rest, (x, y) => intersectAccounts(x, complement(y)));
}

export function isEmptyPeers(s: PeerSet): boolean {
  return !s.rest && s.byNamespace.size === 0;
}

export function samePeers(a: PeerSet, b: PeerSet): boolean {
  return isEmptyPeers(subtractPeers(a, b)) && isEmptyPeers(subtractPeers(b, a));
}

/** True when the identity (namespace, ServiceAccount) is in the set. */
export function hasPeer(s: PeerSet, namespace: string, serviceAccount: string): boolean {
  const a = accountsIn(s, namespace);
  return a.kind === 'only' ? a.names.has(serviceAccount) : !a.names.has(serviceAccount);
}
