/** Route selection with Gateway API HTTPRoute precedence, indexed so that 1,000 routes cost little more than 10. */
import type { Route } from '@weft/api';
import {
  type CompiledMatch,
  compileMatch,
  ParsedRequest,
  pathMatches,
  type RouteRequest,
  restMatches,
} from './request-match.js';

/** The outcome of matching a request against a route table. */
export type RouteDecision =
  | {
      readonly type: 'route';
      readonly route: Route;
      /** Index of the route in the table's input. */
      readonly routeIndex: number;
      /** Index of the match within the route that selected it (-1: a route without matches). */
      readonly matchIndex: number;
    }
  | { readonly type: 'no-route' };

/** One (route, match) pair; precedence is decided per match, not per route. */
export interface RouteEntry {
  readonly route: Route;
  readonly routeIndex: number;
  readonly matchIndex: number;
  readonly match: CompiledMatch;
}

const KIND_RANK = { exact: 0, regex: 1, prefix: 2 } as const;

/**
 * Gateway API precedence between matches: Exact path, then RegularExpression, then
 * PathPrefix (the spec leaves regex to implementations; Envoy Gateway ranks it here);
 * longer path values first; a method match; more header matches; more query matches;
 * then input order, which the control plane sets to (creation time, namespace/name, rule order).
 */
export function compareEntries(a: RouteEntry, b: RouteEntry): number {
  return (
    KIND_RANK[a.match.pathKind] - KIND_RANK[b.match.pathKind] ||
    b.match.pathValue.length - a.match.pathValue.length ||
    Number(b.match.method !== undefined) - Number(a.match.method !== undefined) ||
    b.match.headers.length - a.match.headers.length ||
    b.match.queryParams.length - a.match.queryParams.length ||
    a.routeIndex - b.routeIndex ||
    a.matchIndex - b.matchIndex
  );
}

/**
 * Compiles routes into sorted entries. A route without matches matches every request
 * (Gateway API's default PathPrefix "/"). Throws WeftError INVALID_CONFIG naming the
 * field (`routes[i].matches[j]...`) for an invalid or unsafe match.
 */
export function compileEntries(routes: readonly Route[]): RouteEntry[] {
  const entries: RouteEntry[] = [];
  routes.forEach((route, routeIndex) => {
    if (route.matches.length === 0) {
      const match = compileMatch({ headers: [], queryParams: [] }, `routes[${routeIndex}]`);
      entries.push({ route, routeIndex, matchIndex: -1, match });
      return;
    }
    route.matches.forEach((m, matchIndex) => {
      const match = compileMatch(m, `routes[${routeIndex}].matches[${matchIndex}]`);
      entries.push({ route, routeIndex, matchIndex, match });
    });
  });
  return entries.sort(compareEntries);
}

interface PrefixNode {
  readonly children: Map<string, PrefixNode>;
  readonly entries: RouteEntry[];
}

/**
 * An immutable, compiled route table. Exact paths are found by hash, prefixes by a trie of
 * path segments walked deepest first, regular expressions in precedence order; the result
 * is the same as a linear scan of {@link compileEntries}' order (tested against one).
 */
export class RouteTable {
  private readonly exact = new Map<string, RouteEntry[]>();
  private readonly regex: RouteEntry[] = [];
  private readonly root: PrefixNode = { children: new Map(), entries: [] };
  /** Number of (route, match) entries. */
  readonly size: number;

  /** Throws WeftError INVALID_CONFIG for an invalid route (see {@link compileEntries}). */
  constructor(routes: readonly Route[]) {
    const entries = compileEntries(routes);
    this.size = entries.length;
    for (const e of entries) {
      if (e.match.pathKind === 'exact') {
        const list = this.exact.get(e.match.pathValue);
        if (list === undefined) this.exact.set(e.match.pathValue, [e]);
        else list.push(e);
      } else if (e.match.pathKind === 'regex') {
        this.regex.push(e);
      } else {
        this.nodeFor(e.match.normalizedPath).entries.push(e);
      }
    }
  }

  /** Selects the route for a request, or `no-route` (the caller answers 404). */
  match(request: RouteRequest): RouteDecision {
    const parsed = new ParsedRequest(request);
    const path = parsed.pathOnly;
    const exact = this.exact.get(path);
    if (exact !== undefined) {
      for (const e of exact) if (restMatches(e.match, parsed)) return decision(e);
    }
    for (const e of this.regex) {
      if (pathMatches(e.match, path) && restMatches(e.match, parsed)) return decision(e);
    }
    const nodes = this.prefixNodes(path);
    for (let i = nodes.length - 1; i >= 0; i--) {
      for (const e of (nodes[i] as PrefixNode).entries) if (restMatches(e.match, parsed)) return decision(e);
    }
    return NO_ROUTE;
  }

  private nodeFor(prefix: string): PrefixNode {
    let node = this.root;
    if (prefix === '/') return node;
    for (const segment of prefix.slice(1).split('/')) {
      let child = node.children.get(segment);
      if (child === undefined) {
        child = { children: new Map(), entries: [] };
        node.children.set(segment, child);
      }
      node = child;
    }
    return node;
  }

  /** Trie nodes whose prefix covers `path`, shallowest first. */
  private prefixNodes(path: string): PrefixNode[] {
    const nodes: PrefixNode[] = [this.root];
    let node = this.root;
    let start = 1;
    while (start <= path.length && path.charCodeAt(0) === 47) {
      let end = path.indexOf('/', start);
      if (end < 0) end = path.length;
      const child = node.children.get(path.slice(start, end));
      if (child === undefined) break;
      nodes.push(child);
      node = child;
      start = end + 1;
    }
    return nodes;
  }
}

const NO_ROUTE: RouteDecision = { type: 'no-route' };

function decision(e: RouteEntry): RouteDecision {
  return { type: 'route', route: e.route, routeIndex: e.routeIndex, matchIndex: e.matchIndex };
}

/** The reference implementation: first entry in precedence order whose match passes. For tests and benchmarks. */
export function matchLinear(entries: readonly RouteEntry[], request: RouteRequest): RouteDecision {
  const parsed = new ParsedRequest(request);
  for (const e of entries) {
    if (pathMatches(e.match, parsed.pathOnly) && restMatches(e.match, parsed)) return decision(e);
  }
  return NO_ROUTE;
}
