/** Path and redirect rewriting by the Gateway API's rules (HTTPURLRewriteFilter, HTTPRequestRedirectFilter). Pure. */
import type { CompiledMatch } from '@weft/core';
import type { CompiledFilter, PathModifier } from './compiled.js';

/** Splits "/a/b?x=1" into the path and the query (with its "?"). */
export function splitTarget(target: string): { path: string; query: string } {
  const q = target.indexOf('?');
  return q < 0 ? { path: target, query: '' } : { path: target.slice(0, q), query: target.slice(q) };
}

/**
 * The path after `modifier`: ReplaceFullPath replaces the whole path; ReplacePrefixMatch
 * replaces the part the route's PathPrefix `match` matched ("/foo" -> "/bar": "/foo/x" becomes
 * "/bar/x"; -> "/": "/foo/x" becomes "/x" and "/foo" becomes "/"). The query is kept.
 */
export function rewritePath(
  target: string,
  modifier: PathModifier,
  match: CompiledMatch | undefined,
): string {
  const { path, query } = splitTarget(target);
  if (modifier.type === 'full') return modifier.value + query;
  const prefix = match === undefined ? '/' : match.normalizedPath;
  const rest = prefix === '/' ? path : path.slice(prefix.length);
  const head = modifier.value.endsWith('/') ? modifier.value.slice(0, -1) : modifier.value;
  const joined = head + (rest.startsWith('/') || rest === '' ? rest : `/${rest}`);
  return (joined === '' ? '/' : joined) + query;
}

const DEFAULT_PORT: Record<string, number> = { http: 80, https: 443 };

/** What a redirect needs to know of the request. */
export interface RedirectRequest {
  readonly scheme: 'http' | 'https';
  /** The request's host, without port. */
  readonly host: string;
  /** The port the client connected to (the Gateway listener's port). */
  readonly port: number;
  /** Path and query. */
  readonly target: string;
}

/**
 * The Location of a RequestRedirect. Per the Gateway API: an unset scheme or hostname keeps
 * the request's; an unset port is the default port of the redirect's scheme when the filter
 * sets a scheme, else the listener's port; a port that is the scheme's default is left out.
 */
export function redirectLocation(
  filter: Extract<CompiledFilter, { type: 'redirect' }>,
  request: RedirectRequest,
  match: CompiledMatch | undefined,
): string {
  const scheme = filter.scheme === '' ? request.scheme : filter.scheme;
  const host = filter.hostname === '' ? request.host : filter.hostname;
  const port = filter.port !== 0 ? filter.port : filter.scheme !== '' ? DEFAULT_PORT[scheme]! : request.port;
  const target = filter.path === undefined ? request.target : rewritePath(request.target, filter.path, match);
  const hostPart = host.includes(':') ? `[${host}]` : host;
  const portPart = port === DEFAULT_PORT[scheme] ? '' : `:${port}`;
  return `${scheme}://${hostPart}${portPart}${target}`;
}
