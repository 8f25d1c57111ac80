/**
 * One HTTPRoute or GRPCRoute translated once, independent of the listeners it attaches to: its
 * rules as GatewayRoute parts with a precedence key per match, the backend problems
 * (ResolvedRefs) and, when the route cannot be served at all, why (Accepted=False
 * UnsupportedValue: a regular expression over the cap, an unsupported filter). Pure.
 */
import type { GatewayRoute, GrpcRouteResource, HttpRouteResource } from '@weft/api';
import { compileSafeRegex, describeError } from '@weft/core';
import { durationOf } from '../model/policy.js';
import { type BackendContext, type BackendProblem, backendMessage, resolveBackend } from './backends.js';
import { translateFilters } from './filters.js';

export type RouteKind = 'HTTPRoute' | 'GRPCRoute';

/** A match as the Discovery proto carries it. */
export type RouteMatch = NonNullable<GatewayRoute['matches']>[number];

/** One match of one rule, with its precedence key (compared element by element, smaller first). */
export interface MatchEntry {
  readonly match: RouteMatch | undefined;
  readonly key: readonly number[];
  readonly matchIndex: number;
}

export interface RuleEntry {
  readonly index: number;
  readonly matches: readonly MatchEntry[];
  /** The GatewayRoute fields every match of the rule shares. */
  readonly base: Omit<GatewayRoute, 'name' | 'hostnames' | 'matches'>;
}

export interface TranslatedRoute {
  readonly kind: RouteKind;
  readonly namespace: string;
  readonly name: string;
  readonly creationTimestamp: string;
  readonly generation: number | undefined;
  readonly hostnames: readonly string[];
  readonly rules: readonly RuleEntry[];
  readonly backendProblems: readonly BackendProblem[];
  /** Set when the route is not served anywhere (Accepted=False, UnsupportedValue). */
  readonly unsupported?: string;
}

function creationOf(meta: object): string {
  const ts = (meta as { creationTimestamp?: unknown }).creationTimestamp;
  return typeof ts === 'string' ? ts : '';
}

function checkRegex(pattern: string, at: string): string | undefined {
  try {
    compileSafeRegex(pattern);
    return undefined;
  } catch (err) {
    return `${at}: ${describeError(err)}`;
  }
}

type HttpMatch = NonNullable<HttpRouteResource['spec']['rules'][number]['matches']>[number];
type GrpcMatch = NonNullable<GrpcRouteResource['spec']['rules'][number]['matches']>[number];

function valueMatch(v: { type: string; name: string; value: string }) {
  return v.type === 'RegularExpression' ? { name: v.name, regex: v.value } : { name: v.name, exact: v.value };
}

/** The Gateway API's HTTPRoute precedence: Exact path, longest prefix, method, most headers, most query params. */
export function httpMatchKey(m: HttpMatch | undefined): number[] {
  const p = m?.path ?? { type: 'PathPrefix', value: '/' };
  return [
    p.type === 'Exact' ? 0 : p.type === 'PathPrefix' ? 1 : 2,
    p.type === 'PathPrefix' ? -p.value.length : 0,
    m?.method === undefined ? 1 : 0,
    -(m?.headers?.length ?? 0),
    -(m?.queryParams?.length ?? 0),
  ];
}

function httpMatch(m: HttpMatch): RouteMatch {
  const p = m.path;
  return {
    ...(p === undefined
      ? {}
      : {
          path:
            p.type === 'Exact'
              ? { exact: p.value }
              : p.type === 'PathPrefix'
                ? { prefix: p.value }
                : { regex: p.value },
        }),
    method: m.method ?? '',
    headers: (m.headers ?? []).map((h) => ({ ...valueMatch(h), name: h.name.toLowerCase() })),
    queryParams: (m.queryParams ?? []).map(valueMatch),
  };
}

function httpRegexProblem(m: HttpMatch, at: string): string | undefined {
  if (m.path?.type === 'RegularExpression') {
    const bad = checkRegex(m.path.value, `${at}.path.value`);
    if (bad !== undefined) return bad;
  }
  for (const [field, list] of [
    ['headers', m.headers],
    ['queryParams', m.queryParams],
  ] as const) {
    for (const [k, h] of (list ?? []).entries()) {
      if (h.type !== 'RegularExpression') continue;
      const bad = checkRegex(h.value, `${at}.${field}[${k}].value`);
      if (bad !== undefined) return bad;
    }
  }
  return undefined;
}

/** GRPCRoute precedence: the longest service, the longest method, the most header matches. */
export function grpcMatchKey(m: GrpcMatch | undefined): number[] {
  return [-(m?.method?.service?.length ?? 0), -(m?.method?.method?.length ?? 0), -(m?.headers?.length ?? 0)];
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** A gRPC method match as a path match: "/<service>/<method>" exact, "/<service>/" prefix, else a regex. */
function grpcMatch(m: GrpcMatch): RouteMatch {
  const method = m.method;
  const headers = (m.headers ?? []).map((h) => ({ ...valueMatch(h), name: h.name.toLowerCase() }));
  if (method === undefined) return { method: '', headers, queryParams: [] };
  const { service, method: name } = method;
  let path: RouteMatch['path'];
  if (method.type === 'Exact') {
    if (service !== undefined && name !== undefined) path = { exact: `/${service}/${name}` };
    else if (service !== undefined) path = { prefix: `/${service}/` };
    else path = { regex: `/[^/]+/${escapeRegex(name ?? '')}` };
  } else {
    path = { regex: `/${service ?? '[^/]+'}/${name ?? '[^/]+'}` };
  }
  return { path, method: '', headers, queryParams: [] };
}

function grpcRegexProblem(m: GrpcMatch, at: string): string | undefined {
  if (m.method?.type === 'RegularExpression') {
    const whole = `/${m.method.service ?? '[^/]+'}/${m.method.method ?? '[^/]+'}`;
    const bad = checkRegex(whole, `${at}.method`);
    if (bad !== undefined) return bad;
  }
  for (const [k, h] of (m.headers ?? []).entries()) {
    if (h.type !== 'RegularExpression') continue;
    const bad = checkRegex(h.value, `${at}.headers[${k}].value`);
    if (bad !== undefined) return bad;
  }
  return undefined;
}

type AnyRule = HttpRouteResource['spec']['rules'][number] | GrpcRouteResource['spec']['rules'][number];

/** Translates a route's rules; `ctx` resolves its backends. */
export function translateRoute(
  kind: RouteKind,
  route: HttpRouteResource | GrpcRouteResource,
  ctx: Omit<BackendContext, 'fromKind' | 'fromNamespace' | 'fromGroup'>,
): TranslatedRoute {
  const namespace = route.metadata.namespace ?? 'default';
  const bctx: BackendContext = {
    ...ctx,
    fromGroup: 'gateway.networking.k8s.io',
    fromKind: kind,
    fromNamespace: namespace,
  };
  const rules: RuleEntry[] = [];
  const backendProblems: BackendProblem[] = [];
  let unsupported: string | undefined;
  const rulesIn = route.spec.rules as readonly AnyRule[];
  for (const [i, rule] of rulesIn.entries()) {
    const at = `spec.rules[${i}]`;
    const matches: MatchEntry[] = [];
    const raw = rule.matches ?? [];
    if (kind === 'HTTPRoute') {
      const list = raw as HttpMatch[];
      for (const [j, m] of list.entries()) {
        unsupported ??= httpRegexProblem(m, `${at}.matches[${j}]`);
        matches.push({ match: httpMatch(m), key: httpMatchKey(m), matchIndex: j });
      }
      if (list.length === 0) matches.push({ match: undefined, key: httpMatchKey(undefined), matchIndex: 0 });
    } else {
      const list = raw as GrpcMatch[];
      for (const [j, m] of list.entries()) {
        unsupported ??= grpcRegexProblem(m, `${at}.matches[${j}]`);
        matches.push({ match: grpcMatch(m), key: grpcMatchKey(m), matchIndex: j });
      }
      if (list.length === 0) matches.push({ match: undefined, key: grpcMatchKey(undefined), matchIndex: 0 });
    }
    const prefixOnly =
      kind === 'HTTPRoute' &&
      (raw as HttpMatch[]).every((m) => (m.path?.type ?? 'PathPrefix') === 'PathPrefix');
    const filters = translateFilters(kind, rule.filters ?? [], `${at}.filters`, prefixOnly, bctx);
    if (filters.type === 'unsupported') {
      unsupported ??= filters.message;
      continue;
    }
    backendProblems.push(...filters.problems);
    const backends = [];
    for (const [j, ref] of (rule.backendRefs ?? []).entries()) {
      const where = `${at}.backendRefs[${j}]`;
      const resolved = resolveBackend(ref, where, bctx);
      if (resolved.problem !== undefined) backendProblems.push(resolved.problem);
      const bf = translateFilters(kind, ref.filters ?? [], `${where}.filters`, prefixOnly, bctx);
      if (bf.type === 'unsupported') {
        unsupported ??= bf.message;
        continue;
      }
      backendProblems.push(...bf.problems);
      backends.push(backendMessage(resolved, ref.weight, bf.filters));
    }
    const http = kind === 'HTTPRoute' ? (rule as HttpRouteResource['spec']['rules'][number]) : undefined;
    const retry = http?.retry;
    rules.push({
      index: i,
      matches,
      base: {
        filters: filters.filters,
        backends,
        grpc: kind === 'GRPCRoute',
        ...(http?.timeouts?.request === undefined
          ? {}
          : { requestTimeout: durationOf(http.timeouts.request) }),
        ...(http?.timeouts?.backendRequest === undefined
          ? {}
          : { backendRequestTimeout: durationOf(http.timeouts.backendRequest) }),
        ...(retry === undefined
          ? {}
          : {
              retry: {
                attempts: (retry.attempts ?? 2) + 1,
                conditions: (retry.codes ?? [502, 503, 504]).map(String),
                ...(retry.backoff === undefined
                  ? {}
                  : { backoff: { base: durationOf(retry.backoff), max: durationOf(retry.backoff * 10) } }),
              },
            }),
      },
    });
  }
  return {
    kind,
    namespace,
    name: route.metadata.name,
    creationTimestamp: creationOf(route.metadata),
    generation: route.metadata.generation,
    hostnames: route.spec.hostnames ?? [],
    rules,
    backendProblems,
    ...(unsupported === undefined ? {} : { unsupported }),
  };
}
