/** Translates HTTPRoute/GRPCRoute filters into GatewayFilter messages, or says why one is not supported. Pure. */
import type { GatewayFilter, RouteFilter } from '@weft/api';
import { modifiableHeader } from '@weft/core';
import { type BackendContext, type BackendProblem, resolveBackend } from './backends.js';

type HeaderModifier = NonNullable<RouteFilter['requestHeaderModifier']>;
type PathModifier = NonNullable<NonNullable<RouteFilter['urlRewrite']>['path']>;

export type FilterResult =
  | { readonly type: 'ok'; readonly filters: GatewayFilter[]; readonly problems: BackendProblem[] }
  | { readonly type: 'unsupported'; readonly message: string };

/** Filter types each route kind may use. */
const SUPPORTED: Record<'HTTPRoute' | 'GRPCRoute', ReadonlySet<string>> = {
  HTTPRoute: new Set([
    'RequestHeaderModifier',
    'ResponseHeaderModifier',
    'RequestRedirect',
    'URLRewrite',
    'RequestMirror',
  ]),
  GRPCRoute: new Set(['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestMirror']),
};

/** Why a modifier at `at` may not be sent to the gateway, or undefined. */
function refusedHeader(m: HeaderModifier, at: string): string | undefined {
  for (const list of ['set', 'add'] as const) {
    for (const [i, h] of (m[list] ?? []).entries()) {
      // The gateway's compiler refuses these too, and a whole config for one: refused here, the
      // route gets a status and every other route keeps going.
      if (!modifiableHeader(h.name))
        return `${at}.${list}[${i}].name: ${h.name.toLowerCase()} cannot be set by a header modifier`;
    }
  }
  return undefined;
}

function headers(m: HeaderModifier) {
  return {
    set: (m.set ?? []).map((h) => ({ name: h.name.toLowerCase(), value: h.value })),
    add: (m.add ?? []).map((h) => ({ name: h.name.toLowerCase(), value: h.value })),
    remove: (m.remove ?? []).map((h) => h.toLowerCase()),
  };
}

function path(p: PathModifier | undefined) {
  if (p === undefined) return undefined;
  return p.type === 'ReplaceFullPath'
    ? { replaceFullPath: p.replaceFullPath ?? '' }
    : { replacePrefixMatch: p.replacePrefixMatch ?? '' };
}

/**
 * Translates `filters` found at field path `at`. `prefixMatch` says whether every match of the
 * rule is a PathPrefix (ReplacePrefixMatch needs one).
 */
export function translateFilters(
  kind: 'HTTPRoute' | 'GRPCRoute',
  filters: readonly RouteFilter[],
  at: string,
  prefixMatch: boolean,
  ctx: BackendContext,
): FilterResult {
  const out: GatewayFilter[] = [];
  const problems: BackendProblem[] = [];
  for (const [i, f] of filters.entries()) {
    const where = `${at}[${i}]`;
    if (!SUPPORTED[kind].has(f.type))
      return {
        type: 'unsupported',
        message: `${where}.type: filter ${f.type} is not supported on a ${kind}`,
      };
    switch (f.type) {
      case 'RequestHeaderModifier':
      case 'ResponseHeaderModifier': {
        const request = f.type === 'RequestHeaderModifier';
        const m = (request ? f.requestHeaderModifier : f.responseHeaderModifier) as HeaderModifier;
        const refused = refusedHeader(
          m,
          `${where}.${request ? 'requestHeaderModifier' : 'responseHeaderModifier'}`,
        );
        if (refused !== undefined) return { type: 'unsupported', message: refused };
        out.push(request ? { requestHeaderModifier: headers(m) } : { responseHeaderModifier: headers(m) });
        break;
      }
      case 'RequestRedirect': {
        const r = f.requestRedirect as NonNullable<RouteFilter['requestRedirect']>;
        if (r.statusCode !== 301 && r.statusCode !== 302)
          return {
            type: 'unsupported',
            message: `${where}.requestRedirect.statusCode: only 301 and 302 are supported`,
          };
        if (r.path?.type === 'ReplacePrefixMatch' && !prefixMatch)
          return {
            type: 'unsupported',
            message: `${where}.requestRedirect.path: ReplacePrefixMatch needs PathPrefix matches`,
          };
        const p = path(r.path);
        out.push({
          requestRedirect: {
            scheme: r.scheme ?? '',
            hostname: r.hostname ?? '',
            ...(p === undefined ? {} : { path: p }),
            port: r.port ?? 0,
            statusCode: r.statusCode,
          },
        });
        break;
      }
      case 'URLRewrite': {
        const r = f.urlRewrite as NonNullable<RouteFilter['urlRewrite']>;
        if (r.path?.type === 'ReplacePrefixMatch' && !prefixMatch)
          return {
            type: 'unsupported',
            message: `${where}.urlRewrite.path: ReplacePrefixMatch needs PathPrefix matches`,
          };
        const p = path(r.path);
        out.push({ urlRewrite: { hostname: r.hostname ?? '', ...(p === undefined ? {} : { path: p }) } });
        break;
      }
      case 'RequestMirror': {
        const m = f.requestMirror as NonNullable<RouteFilter['requestMirror']>;
        const resolved = resolveBackend(m.backendRef, `${where}.requestMirror.backendRef`, ctx);
        // A mirror to nowhere is left out; the route still serves (ResolvedRefs says why).
        if (resolved.problem !== undefined) {
          problems.push(resolved.problem);
          break;
        }
        const [numerator, denominator] =
          m.fraction !== undefined
            ? [m.fraction.numerator, m.fraction.denominator]
            : m.percent !== undefined
              ? [m.percent, 100]
              : [100, 100];
        out.push({ requestMirror: { authority: resolved.authority, numerator, denominator } });
        break;
      }
    }
  }
  return { type: 'ok', filters: out, problems };
}
