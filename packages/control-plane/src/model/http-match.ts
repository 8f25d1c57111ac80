/**
 * An HTTPRoute rule's matches and retry in the Discovery API's terms, shared by mesh routing
 * (model/routing.ts) and the gateway (gateway/route-rules.ts), which read the same Gateway API
 * fields the same way. Pure.
 */
import type { GatewayRoute, HttpRouteResource } from '@weft/api';
import { durationOf } from './policy.js';

type HttpRule = HttpRouteResource['spec']['rules'][number];
export type HttpMatch = NonNullable<HttpRule['matches']>[number];
type HttpRetry = NonNullable<HttpRule['retry']>;

/** A match as the Discovery proto carries it (the same message in a Destination and a GatewayRoute). */
export type RouteMatch = NonNullable<GatewayRoute['matches']>[number];

/** A header or query-parameter match: a regex for RegularExpression, else an exact value. */
export function valueMatch(v: { type: string; name: string; value: string }) {
  return v.type === 'RegularExpression' ? { name: v.name, regex: v.value } : { name: v.name, exact: v.value };
}

/** A header match; HTTP header names compare without case, so the name is lowercased. */
export function headerMatch(h: { type: string; name: string; value: string }) {
  return { ...valueMatch(h), name: h.name.toLowerCase() };
}

/** One HTTPRoute match: its path, method, headers and query parameters. */
export function httpMatch(m: HttpMatch): RouteMatch {
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
    headers: (m.headers ?? []).map(headerMatch),
    queryParams: (m.queryParams ?? []).map(valueMatch),
  };
}

/**
 * The Gateway API's HTTPRoute precedence key (compared element by element, smaller first):
 * Exact path, longest prefix, method, most headers, most query params. No match is a "/" prefix.
 */
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

/**
 * An HTTPRoute retry: `attempts` counts the first try, the codes default to 502, 503 and 504,
 * and the backoff grows to ten times its base.
 */
export function retryMessage(retry: HttpRetry) {
  return {
    attempts: (retry.attempts ?? 2) + 1,
    conditions: (retry.codes ?? [502, 503, 504]).map(String),
    ...(retry.backoff === undefined
      ? {}
      : { backoff: { base: durationOf(retry.backoff), max: durationOf(retry.backoff * 10) } }),
  };
}
