/**
 * The one request-target normalizer (RFC 3986 §6.2.2 + RFC 9112 §3.2): what authorization,
 * route matching, metrics and the forwarded request all agree the path is.
 */

/** What to do with `%2F` and `%5C` (encoded `/` and `\`, either hex case) in the path. */
export type EscapedSlashAction =
  /** Leave them encoded: they stay part of one segment (RFC 3986). */
  | 'keep'
  /** Refuse the request (400): the safe default, since apps disagree on what they mean. */
  | 'reject'
  /** Decode them to `/` (both) before dot-segment removal and slash merging. */
  | 'unescape';

/** What to do with a raw `\` in the path (not allowed by RFC 3986, but some servers treat it as `/`). */
export type BackslashAction = 'reject' | 'to-slash';

/** The mesh's path-normalization settings (see docs/path-normalization.md). */
export interface PathNormalizationOptions {
  /** Collapse runs of `/` into one (after dot-segment removal). Default true. */
  readonly mergeSlashes: boolean;
  /** `%2F` / `%5C` handling. Default 'reject'. */
  readonly escapedSlashes: EscapedSlashAction;
  /** Raw `\` handling. Default 'reject'. */
  readonly backslash: BackslashAction;
}

/** The safe defaults. */
export const DEFAULT_PATH_NORMALIZATION: PathNormalizationOptions = {
  mergeSlashes: true,
  escapedSlashes: 'reject',
  backslash: 'reject',
};

/** Options of one call: the mesh settings plus the request method (forms depend on it). */
export interface RequestTargetOptions extends PathNormalizationOptions {
  readonly method: string;
}

/** Why a target was refused (stable, used as a metric label). */
export type RequestTargetRejection =
  | 'empty'
  | 'fragment'
  | 'invalid-character'
  | 'invalid-percent-encoding'
  | 'invalid-utf8'
  | 'nul'
  | 'control-character'
  | 'escaped-slash'
  | 'backslash'
  | 'invalid-form'
  | 'invalid-absolute-form';

/** The normalized target, or why it was refused. */
export type NormalizedTarget =
  | {
      readonly type: 'ok';
      /** Which RFC 9112 form the target had. */
      readonly form: 'origin' | 'absolute' | 'asterisk' | 'authority';
      /** The normalized path: starts with `/` (origin/absolute), or `*`, or the authority (CONNECT). */
      readonly path: string;
      /** The query with its leading `?` (as received), or ''. */
      readonly query: string;
      /** The authority of an absolute-form or authority-form target, else undefined. */
      readonly authority: string | undefined;
      /** False when `path + query` is byte-identical to the received target. */
      readonly changed: boolean;
    }
  | { readonly type: 'reject'; readonly reason: RequestTargetRejection; readonly detail: string };

const HEX = '0123456789ABCDEF';
const ABSOLUTE = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)(.*)$/;
/** RFC 3986 authority: userinfo is refused (RFC 9110 §4.2.4 deprecates it in http URIs). */
const AUTHORITY = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]*)(?::\d{0,5})?$/;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

function reject(reason: RequestTargetRejection, detail: string): NormalizedTarget {
  return { type: 'reject', reason, detail };
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

function isUnreserved(b: number): boolean {
  return (
    (b >= 0x41 && b <= 0x5a) ||
    (b >= 0x61 && b <= 0x7a) ||
    (b >= 0x30 && b <= 0x39) ||
    b === 0x2d ||
    b === 0x2e ||
    b === 0x5f ||
    b === 0x7e
  );
}

/** Printable ASCII that may appear literally in a path (RFC 3986 pchar plus a lenient few). */
function isPathChar(c: number): boolean {
  // Excluded: controls, space, DEL, non-ASCII, '"', '#', '<', '>', '\' (handled apart), '?'.
  return c > 0x20 && c < 0x7f && c !== 0x22 && c !== 0x23 && c !== 0x3c && c !== 0x3e && c !== 0x5c;
}

type Decoded =
  | { type: 'ok'; path: string }
  | { type: 'reject'; reason: RequestTargetRejection; detail: string };

/**
 * Percent-decodes unreserved characters, uppercases the rest, validates UTF-8 of encoded
 * non-ASCII bytes, and applies the slash options. Returns the path still percent-encoded.
 */
function normalizeEncoding(raw: string, o: PathNormalizationOptions): Decoded {
  let out = '';
  let i = 0;
  while (i < raw.length) {
    const c = raw.charCodeAt(i);
    if (c === 0x5c) {
      if (o.backslash === 'reject')
        return { type: 'reject', reason: 'backslash', detail: 'raw "\\" in path' };
      out += '/';
      i++;
      continue;
    }
    if (c !== 0x25) {
      if (c < 0x20 || c === 0x7f)
        return { type: 'reject', reason: 'control-character', detail: 'control byte in path' };
      if (!isPathChar(c))
        return {
          type: 'reject',
          reason: 'invalid-character',
          detail: `character 0x${c.toString(16)} in path`,
        };
      out += raw[i];
      i++;
      continue;
    }
    // A run of percent-encoded bytes: decode what may be decoded, validate non-ASCII as UTF-8.
    const bytes: number[] = [];
    while (i < raw.length && raw.charCodeAt(i) === 0x25) {
      const h = hexValue(raw.charCodeAt(i + 1));
      const l = hexValue(raw.charCodeAt(i + 2));
      if (h < 0 || l < 0)
        return { type: 'reject', reason: 'invalid-percent-encoding', detail: 'bad "%" escape' };
      bytes.push(h * 16 + l);
      i += 3;
    }
    let j = 0;
    while (j < bytes.length) {
      const b = bytes[j]!;
      if (b >= 0x80) {
        let k = j;
        while (k < bytes.length && bytes[k]! >= 0x80) k++;
        try {
          UTF8.decode(Uint8Array.from(bytes.slice(j, k)));
        } catch {
          return {
            type: 'reject',
            reason: 'invalid-utf8',
            detail: 'percent-encoded bytes are not valid UTF-8',
          };
        }
        for (; j < k; j++) out += `%${HEX[bytes[j]! >> 4]}${HEX[bytes[j]! & 15]}`;
        continue;
      }
      j++;
      if (b === 0) return { type: 'reject', reason: 'nul', detail: '%00 in path' };
      if (b < 0x20 || b === 0x7f)
        return { type: 'reject', reason: 'control-character', detail: 'encoded control byte in path' };
      if (b === 0x2f || b === 0x5c) {
        if (o.escapedSlashes === 'reject')
          return { type: 'reject', reason: 'escaped-slash', detail: 'encoded "/" or "\\" in path' };
        if (o.escapedSlashes === 'unescape') {
          out += '/';
          continue;
        }
      }
      if (isUnreserved(b)) out += String.fromCharCode(b);
      else out += `%${HEX[b >> 4]}${HEX[b & 15]}`;
    }
  }
  return { type: 'ok', path: out };
}

/** RFC 3986 §5.2.4 remove_dot_segments on an absolute path; a `..` above the root is dropped, as the RFC says. */
export function removeDotSegments(path: string): string {
  const segments = path.split('/');
  const out: string[] = [];
  for (let i = 1; i < segments.length; i++) {
    const s = segments[i]!;
    const last = i === segments.length - 1;
    if (s === '.') {
      if (last) out.push('');
    } else if (s === '..') {
      if (out.length > 0) out.pop();
      if (last) out.push('');
    } else out.push(s);
  }
  return `/${out.join('/')}`;
}

/**
 * A path that every normalization leaves as it is: only literal path characters (no '%' to
 * decode, no '\\' to turn), no "//" to merge and no "/." that could start a dot segment.
 * Most requests' paths are such; they skip the char-by-char rebuild (every proxied request
 * is normalized, so this is on the data path).
 */
function isPlainPath(rawPath: string): boolean {
  for (let i = 0; i < rawPath.length; i++) {
    const c = rawPath.charCodeAt(i);
    if (c === 0x25 || !isPathChar(c)) return false;
    if (c === 0x2f) {
      const next = rawPath.charCodeAt(i + 1);
      if (next === 0x2f || next === 0x2e) return false;
    }
  }
  return rawPath.charCodeAt(0) === 0x2f;
}

function normalizePath(rawPath: string, o: RequestTargetOptions): Decoded {
  if (isPlainPath(rawPath)) return { type: 'ok', path: rawPath };
  const enc = normalizeEncoding(rawPath, o);
  if (enc.type === 'reject') return enc;
  let path = removeDotSegments(enc.path);
  if (o.mergeSlashes) path = path.replace(/\/{2,}/g, '/');
  return { type: 'ok', path };
}

/** Validates the query: printable ASCII only (it is kept as received). */
function checkQuery(query: string): NormalizedTarget | undefined {
  for (let i = 0; i < query.length; i++) {
    const c = query.charCodeAt(i);
    if (c === 0x23) return reject('fragment', 'fragment in request target');
    if (c <= 0x20 || c >= 0x7f) return reject('invalid-character', 'control or non-ASCII byte in query');
  }
  return undefined;
}

function split(target: string): { path: string; query: string } {
  const q = target.indexOf('?');
  return q < 0 ? { path: target, query: '' } : { path: target.slice(0, q), query: target.slice(q) };
}

function finish(
  target: string,
  form: 'origin' | 'absolute',
  rawPath: string,
  query: string,
  authority: string | undefined,
  o: RequestTargetOptions,
): NormalizedTarget {
  const bad = checkQuery(query);
  if (bad !== undefined) return bad;
  const p = normalizePath(rawPath, o);
  if (p.type === 'reject') return p;
  return { type: 'ok', form, path: p.path, query, authority, changed: p.path + query !== target };
}

/**
 * Normalizes an HTTP request target (an HTTP/1 request-line target or an HTTP/2 `:path`).
 * Pure; never throws. Refuses fragments, controls, NUL, invalid escapes or UTF-8, and any
 * target that is not origin-form, a valid http(s) absolute-form, `*` for OPTIONS, or an
 * authority for CONNECT.
 */
export function normalizeRequestTarget(target: string, options: RequestTargetOptions): NormalizedTarget {
  if (target.length === 0) return reject('empty', 'empty request target');
  if (target.includes('#')) return reject('fragment', 'fragment in request target');
  for (let i = 0; i < target.length; i++) {
    const c = target.charCodeAt(i);
    if (c === 0) return reject('nul', 'NUL in request target');
    if (c < 0x20 || c === 0x7f) return reject('control-character', 'control byte in request target');
    if (c === 0x20 || c > 0x7e) return reject('invalid-character', 'space or non-ASCII in request target');
  }
  const method = options.method;
  if (method === 'CONNECT') {
    if (!target.includes('/') && AUTHORITY.test(target) && /:\d{1,5}$/.test(target))
      return { type: 'ok', form: 'authority', path: target, query: '', authority: target, changed: false };
    return reject('invalid-form', 'CONNECT needs an authority-form target');
  }
  if (target === '*') {
    if (method === 'OPTIONS')
      return { type: 'ok', form: 'asterisk', path: '*', query: '', authority: undefined, changed: false };
    return reject('invalid-form', '"*" is only valid for OPTIONS');
  }
  if (target.charCodeAt(0) === 0x2f) {
    const { path, query } = split(target);
    return finish(target, 'origin', path, query, undefined, options);
  }
  const m = ABSOLUTE.exec(target);
  if (m === null) return reject('invalid-form', 'target is neither origin-form nor absolute-form');
  const scheme = m[1]!.toLowerCase();
  const authority = m[2]!;
  if ((scheme !== 'http' && scheme !== 'https') || authority === '' || !AUTHORITY.test(authority))
    return reject('invalid-absolute-form', 'absolute-form target needs an http(s) scheme and a host');
  const rest = m[3]!;
  const { path, query } = split(rest);
  const r = finish(target, 'absolute', path === '' ? '/' : path, query, authority, options);
  return r.type === 'ok' ? { ...r, changed: true } : r;
}

/** The target to send upstream: normalized origin-form, or exactly what was received. */
export type ForwardedPath = 'normalized' | 'original';

/** What to write upstream for a normalized target under the `forward` policy. */
export function forwardedTarget(
  original: string,
  normalized: Extract<NormalizedTarget, { type: 'ok' }>,
  forward: ForwardedPath,
): string {
  if (forward === 'original') return original;
  return normalized.path + normalized.query;
}
