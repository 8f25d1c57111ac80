/** One compiled HTTPRoute match: path, method, headers and query parameters, tested against a request. */
import type { PathMatch, RouteMatch, ValueMatch } from '@weft/api';
import { WeftError } from '../errors.js';
import { compileSafeRegex, safeRegexTest, UnsafeRegexError } from './safe-regex.js';

/** The parts of an HTTP request that routes match on. */
export interface RouteRequest {
  /** Upper-case method, as node:http reports it. */
  readonly method: string;
  /** The request target: path and optional query (`/a/b?x=1`). */
  readonly path: string;
  /**
   * A header's value by lower-case name; repeated headers joined with ", " (RFC 9110 list
   * form). Called only for routes that match on headers.
   */
  header(lowerName: string): string | undefined;
}

/** A RouteRequest over a header record shaped like node:http's `IncomingHttpHeaders`. */
export function routeRequest(
  method: string,
  path: string,
  headers: Readonly<Record<string, string | readonly string[] | undefined>> = {},
): RouteRequest {
  return {
    method,
    path,
    header(name) {
      const value = headers[name];
      return value === undefined || typeof value === 'string' ? value : value.join(', ');
    },
  };
}

/** A request with its path split from its query, the query parsed once on demand. */
export class ParsedRequest {
  readonly method: string;
  readonly pathOnly: string;
  private readonly request: RouteRequest;
  private readonly rawQuery: string;
  private query: Map<string, string> | undefined;

  constructor(request: RouteRequest) {
    this.method = request.method;
    this.request = request;
    const path = request.path;
    const q = path.indexOf('?');
    const hash = path.indexOf('#');
    const end = q >= 0 ? q : hash >= 0 ? hash : path.length;
    this.pathOnly = path.slice(0, end);
    this.rawQuery = q >= 0 ? path.slice(q + 1, hash > q ? hash : path.length) : '';
  }

  /** The first value of a query parameter (percent-decoded; undecodable values stay raw). */
  queryParam(name: string): string | undefined {
    if (this.query === undefined) {
      this.query = new Map();
      for (const pair of this.rawQuery.split('&')) {
        if (pair === '') continue;
        const eq = pair.indexOf('=');
        const key = decode(eq >= 0 ? pair.slice(0, eq) : pair);
        if (!this.query.has(key)) this.query.set(key, decode(eq >= 0 ? pair.slice(eq + 1) : ''));
      }
    }
    return this.query.get(name);
  }

  /** A header's value by lower-case name (see {@link RouteRequest.header}). */
  header(name: string): string | undefined {
    return this.request.header(name);
  }
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The kind of path test, in precedence order (Exact, then RegularExpression, then PathPrefix). */
export type PathKind = 'exact' | 'regex' | 'prefix';

interface CompiledValue {
  readonly name: string;
  readonly exact?: string;
  readonly regex?: RegExp;
}

/** A match ready to test; `path` is the normalized path value used for indexing. */
export interface CompiledMatch {
  readonly pathKind: PathKind;
  /** The path value as configured (its length ranks prefix and regex matches). */
  readonly pathValue: string;
  /** For prefixes, the value without a trailing slash ("/" stays "/"). */
  readonly normalizedPath: string;
  readonly pathRegex?: RegExp;
  /** A literal every path the regex matches starts with ('' when unknown): a cheap pre-check. */
  readonly regexPrefix: string;
  readonly method?: string;
  readonly headers: readonly CompiledValue[];
  readonly queryParams: readonly CompiledValue[];
}

/**
 * Compiles a model match. `where` names the field path for errors
 * (e.g. `routes[2].matches[0]`). Throws WeftError INVALID_CONFIG.
 */
export function compileMatch(match: RouteMatch, where: string): CompiledMatch {
  const path: PathMatch = match.path ?? { type: 'prefix', value: '/' };
  if (path.type !== 'regex' && !path.value.startsWith('/')) {
    throw new WeftError(
      'INVALID_CONFIG',
      `${where}.path.value: must start with "/" (got ${JSON.stringify(path.value)})`,
    );
  }
  let pathRegex: RegExp | undefined;
  if (path.type === 'regex') pathRegex = compileOrThrow(path.value, `${where}.path.value`);
  const normalizedPath =
    path.type === 'prefix' && path.value.length > 1 ? path.value.replace(/\/+$/, '') || '/' : path.value;
  return {
    pathKind: path.type,
    pathValue: path.value,
    normalizedPath,
    ...(pathRegex === undefined ? {} : { pathRegex }),
    regexPrefix: path.type === 'regex' ? literalPrefix(path.value) : '',
    ...(match.method === undefined || match.method === '' ? {} : { method: match.method }),
    headers: compileValues(match.headers, `${where}.headers`, true),
    queryParams: compileValues(match.queryParams, `${where}.queryParams`, false),
  };
}

/**
 * The literal text a full match of `pattern` must start with: the leading run of plain
 * characters, minus the last one when a quantifier follows it. Patterns with an alternation
 * anywhere get '' (the alternation may be top-level).
 */
export function literalPrefix(pattern: string): string {
  if (pattern.includes('|')) return '';
  const m = /^[^\\^$.|?*+()[\]{}]*/.exec(pattern);
  const run = m === null ? '' : m[0];
  const next = pattern[run.length];
  return next === '*' || next === '?' || next === '{' || next === '+' ? run.slice(0, -1) : run;
}

function compileOrThrow(pattern: string, where: string): RegExp {
  try {
    return compileSafeRegex(pattern);
  } catch (err) {
    if (err instanceof UnsafeRegexError)
      throw new WeftError('INVALID_CONFIG', `${where}: ${err.message}`, { cause: err });
    throw err;
  }
}

/** Only the first entry of an equivalent name counts (Gateway API). Header names are case-insensitive. */
function compileValues(values: readonly ValueMatch[], where: string, lowerCase: boolean): CompiledValue[] {
  const seen = new Set<string>();
  const out: CompiledValue[] = [];
  values.forEach((v, i) => {
    if (v.name === '') throw new WeftError('INVALID_CONFIG', `${where}[${i}].name: must not be empty`);
    const name = lowerCase ? v.name.toLowerCase() : v.name;
    if (seen.has(name)) return;
    seen.add(name);
    if (v.type === 'regex') out.push({ name, regex: compileOrThrow(v.value, `${where}[${i}].value`) });
    else out.push({ name, exact: v.value });
  });
  return out;
}

/** True when `path` (no query) falls under `prefix` element-wise: "/abc" covers "/abc" and "/abc/d", not "/abcd". */
export function prefixCovers(prefix: string, path: string): boolean {
  if (prefix === '/') return true;
  if (!path.startsWith(prefix)) return false;
  return path.length === prefix.length || path.charCodeAt(prefix.length) === 47; // '/'
}

/** Tests the path of a compiled match. */
export function pathMatches(match: CompiledMatch, path: string): boolean {
  switch (match.pathKind) {
    case 'exact':
      return path === match.pathValue;
    case 'prefix':
      return prefixCovers(match.normalizedPath, path);
    case 'regex':
      return path.startsWith(match.regexPrefix) && safeRegexTest(match.pathRegex as RegExp, path);
  }
}

/** Tests everything except the path: method, headers, query parameters. */
export function restMatches(match: CompiledMatch, request: ParsedRequest): boolean {
  if (match.method !== undefined && match.method !== request.method) return false;
  for (const h of match.headers) {
    if (!valueMatches(h, request.header(h.name))) return false;
  }
  for (const q of match.queryParams) {
    if (!valueMatches(q, request.queryParam(q.name))) return false;
  }
  return true;
}

function valueMatches(test: CompiledValue, value: string | undefined): boolean {
  if (value === undefined) return false;
  if (test.regex !== undefined) return safeRegexTest(test.regex, value);
  return value === test.exact;
}
