/**
 * Outbound layer: picks the backend for a request from the destination's routes (first match
 * wins; path exact/prefix/regex, method, headers) and their weights (the traffic split).
 */
import { type Random, WeftError } from '@weft/core';
import type { Destination, DestinationBackend } from '../discovery/resolver.js';
import type { Layer, ProxyRequest } from './types.js';

type Route = Destination['routes'][number];
type Match = Route['matches'][number];

/** No route or backend matches the request. */
export class NoRoute extends WeftError {
  constructor(message: string) {
    super('NOT_FOUND', message);
    this.name = 'NoRoute';
  }
}

const regexCache = new WeakMap<object, RegExp>();

function regexFor(owner: object, source: string): RegExp {
  let re = regexCache.get(owner);
  if (re === undefined) {
    re = new RegExp(`^(?:${source})$`);
    regexCache.set(owner, re);
  }
  return re;
}

function matches(m: Match, req: ProxyRequest): boolean {
  if (m.method !== '' && m.method !== req.method) return false;
  const p = m.path;
  if (p != null) {
    const q = req.path.indexOf('?');
    const path = q < 0 ? req.path : req.path.slice(0, q);
    if (p.kind === 'exact' && path !== p.exact) return false;
    if (p.kind === 'prefix' && !path.startsWith(p.prefix ?? '')) return false;
    if (p.kind === 'regex' && !regexFor(p, p.regex ?? '').test(path)) return false;
  }
  for (const h of m.headers) {
    const v = req.header(h.name.toLowerCase());
    if (v === undefined) return false;
    if (h.kind === 'exact' && v !== h.exact) return false;
    if (h.kind === 'regex' && !regexFor(h, h.regex ?? '').test(v)) return false;
  }
  return true;
}

function pickWeighted(route: Route, random: Random): string | undefined {
  let total = 0;
  for (const b of route.backends) total += b.weight;
  if (total === 0) return route.backends[0]?.backend;
  let x = random.next() * total;
  for (const b of route.backends) {
    x -= b.weight;
    if (x < 0) return b.backend;
  }
  return route.backends[route.backends.length - 1]?.backend;
}

/** The backend `req` goes to, or undefined when no route matches. */
export function selectBackend(
  d: Destination,
  req: ProxyRequest,
  random: Random,
): DestinationBackend | undefined {
  if (d.routes.length === 0) {
    const own = `${d.service}.${d.namespace}:${d.port}`;
    return d.backends.find((b) => b.name === own) ?? d.backends[0];
  }
  for (const route of d.routes) {
    if (route.matches.length > 0 && !route.matches.some((m) => matches(m, req))) continue;
    const name = pickWeighted(route, random);
    return d.backends.find((b) => b.name === name);
  }
  return undefined;
}

export function routeBackend(random: Random): Layer {
  return (next) => (req) => {
    const d = req.destination;
    if (d === undefined) {
      next(req);
      return;
    }
    const backend = selectBackend(d, req, random);
    if (backend === undefined) {
      req.fail(new NoRoute(`no route of ${d.authority} matches ${req.method} ${req.path}`));
      return;
    }
    req.backend = backend;
    next(req);
  };
}
