/**
 * A strict HTTP/1.x head parser for requests and responses.
 *
 * Why not node:http? Measured on this machine (see docs/proxy-transport.md), a proxy built on
 * `http.createServer` + `http.request` with a keep-alive agent spends most of its CPU in
 * IncomingMessage/ServerResponse/OutgoingMessage bookkeeping (objects, header maps, stream
 * machinery), and llhttp's lenient defaults differ from what a mesh must refuse. This parser
 * works on one latin1 string per head, validates with anchored regular expressions, and
 * keeps headers as a flat [name, value, name, value ...] array that is re-serialized.
 *
 * Refused (answered 400 and the connection closed): bare CR or LF, obs-fold, whitespace or
 * any non-token byte in a header name (including a space before the colon), control bytes
 * in values, Content-Length together with Transfer-Encoding, duplicate or non-numeric
 * Content-Length, any Transfer-Encoding other than a single "chunked" on requests,
 * duplicate Host or a missing Host on HTTP/1.1 requests.
 */

/** How a message body is delimited. */
export type Framing =
  | { readonly kind: 'none' }
  | { readonly kind: 'length'; readonly length: number }
  | { readonly kind: 'chunked' }
  /** Response bodies only: everything until the upstream closes. */
  | { readonly kind: 'close' };

export const NO_BODY: Framing = { kind: 'none' };
export const CHUNKED: Framing = { kind: 'chunked' };
export const UNTIL_CLOSE: Framing = { kind: 'close' };

/** The parsed head of a request or response. */
export interface MessageHead {
  /** Request method ('' for responses). */
  readonly method: string;
  /** Request target ('' for responses). */
  readonly target: string;
  /** Response status (0 for requests). */
  readonly status: number;
  readonly reason: string;
  /** 10 or 11. */
  readonly version: number;
  /** End-to-end headers as [name, value, name, value ...], hop-by-hop ones removed. */
  readonly headers: string[];
  /** The Host header (requests), lowercased. */
  readonly host: string;
  readonly framing: Framing;
  /** The sender wants the connection closed after this message. */
  readonly close: boolean;
  /** The Upgrade header value when the Connection header names upgrade. */
  readonly upgrade: string;
  /** Request only: `Expect: 100-continue`. */
  readonly expectContinue: boolean;
  /** The Content-Length value as sent (-1 when absent); kept for HEAD and 304 responses. */
  readonly contentLength: number;
}

export type HeadResult =
  | { readonly type: 'incomplete' }
  | { readonly type: 'head'; readonly head: MessageHead; readonly length: number }
  | { readonly type: 'error'; readonly status: 400 | 431 | 501 | 505; readonly reason: string };

/** Limits applied while parsing. */
export interface HeadLimits {
  /** Largest head in bytes (request line + headers). */
  readonly maxHeadBytes: number;
  /** Largest number of end-to-end header fields (hop-by-hop ones are bounded by maxHeadBytes). */
  readonly maxHeaders: number;
}

const INCOMPLETE: HeadResult = { type: 'incomplete' };
const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');
const REQUEST_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) ([\x21-\x7e]+) HTTP\/1\.([01])$/;
const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9][0-9][0-9])(?: ([\t\x20-\x7e\x80-\xff]*))?$/;
/** 1 for tchar bytes (RFC 9110 token). */
const TOKEN = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~") TOKEN[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TOKEN[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TOKEN[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TOKEN[c] = 1;
/** 1 for field-value bytes other than SP/HTAB: VCHAR and obs-text. */
const VCHAR = new Uint8Array(256);
for (let c = 0x21; c <= 0x7e; c++) VCHAR[c] = 1;
for (let c = 0x80; c <= 0xff; c++) VCHAR[c] = 1;
const DIGITS = /^[0-9]{1,15}$/;

/** Headers never forwarded: hop-by-hop per RFC 9110 plus legacy proxy headers. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'proxy-authenticate',
  'proxy-authorization',
  'content-length',
]);

function fail(status: 400 | 431 | 501 | 505, reason: string): HeadResult {
  return { type: 'error', status, reason };
}

/**
 * Parses a head at the start of `buf`. `isRequest` selects request or response rules;
 * `requestMethod` (responses) decides whether a body can follow.
 */
export function parseHead(
  buf: Buffer,
  isRequest: boolean,
  limits: HeadLimits,
  requestMethod = '',
): HeadResult {
  const end = buf.indexOf(CRLFCRLF);
  if (end < 0) {
    const lf = buf.indexOf(10);
    // A bare LF anywhere in the head (including "\n\n") is refused as soon as it is seen.
    if (lf >= 0 && (lf === 0 || buf[lf - 1] !== 13)) return fail(400, 'bare LF in head');
    if (buf.length > limits.maxHeadBytes) return fail(431, 'request header fields too large');
    return INCOMPLETE;
  }
  if (end + 4 > limits.maxHeadBytes) return fail(431, 'request header fields too large');
  // The head including the CRLF that ends its last line; each header line is matched in
  // place with a sticky regex, so no array of lines is built.
  const text = buf.toString('latin1', 0, end + 2);
  const firstEnd = text.indexOf('\r\n');
  const first = text.slice(0, firstEnd);

  let method = '';
  let target = '';
  let status = 0;
  let reason = '';
  let version: number;
  if (isRequest) {
    const m = REQUEST_LINE.exec(first);
    if (m === null) {
      if (/ HTTP\/[2-9]/.test(first)) return fail(505, 'HTTP version not supported');
      return fail(400, 'malformed request line');
    }
    method = m[1]!;
    target = m[2]!;
    version = m[3] === '1' ? 11 : 10;
    // A CONNECT tunnel would turn the connection into raw bytes the proxy no longer frames.
    if (method === 'CONNECT') return fail(501, 'CONNECT is not supported by the mesh proxy');
  } else {
    const m = STATUS_LINE.exec(first);
    if (m === null) return fail(400, 'malformed status line');
    version = m[1] === '1' ? 11 : 10;
    status = Number(m[2]);
    reason = m[3] ?? '';
  }

  const headers: string[] = [];
  let contentLength = -1;
  let chunked = false;
  let sawTransferEncoding = false;
  let host = '';
  let hostCount = 0;
  let connection = '';
  let upgrade = '';
  let expectContinue = false;
  // maxHeaders bounds the end-to-end fields kept (and forwarded). Hop-by-hop fields are not kept
  // and only bounded by maxHeadBytes: the framing fields a proxy regenerates (content-length,
  // transfer-encoding, connection) must not push a forwarded head over the next hop's limit.
  const maxKept = limits.maxHeaders * 2;
  let pos = firstEnd + 2;
  const limit = text.length;
  while (pos < limit) {
    // name: one or more token bytes, then ':' at once (no space before the colon)
    let i = pos;
    while (i < limit && TOKEN[text.charCodeAt(i)] === 1) i++;
    if (i === pos || text.charCodeAt(i) !== 58 /* : */) return fail(400, describeBadLine(text, pos));
    const name = text.slice(pos, i);
    i++;
    while (i < limit && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i++;
    const valueStart = i;
    let valueEnd = i;
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 13) break;
      if (c !== 32 && c !== 9) {
        if (VCHAR[c] !== 1) return fail(400, describeBadLine(text, pos));
        valueEnd = i + 1;
      }
      i++;
    }
    if (text.charCodeAt(i + 1) !== 10) return fail(400, 'bare CR in header');
    pos = i + 2;
    const value = valueStart === valueEnd ? '' : text.slice(valueStart, valueEnd);
    // Only names that can be special are lowercased (most headers skip the allocation).
    const c0 = name.charCodeAt(0) | 0x20;
    if (
      !(c0 === 0x63 || c0 === 0x74 || c0 === 0x6b || c0 === 0x70 || c0 === 0x75 || c0 === 0x68 || c0 === 0x65)
    ) {
      if (headers.length >= maxKept) return fail(431, 'too many header fields');
      headers.push(name, value);
      continue;
    }
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower)) {
      switch (lower) {
        case 'content-length':
          if (contentLength >= 0) return fail(400, 'duplicate Content-Length');
          if (!DIGITS.test(value)) return fail(400, 'invalid Content-Length');
          contentLength = Number(value);
          break;
        case 'transfer-encoding':
          if (sawTransferEncoding) return fail(400, 'duplicate Transfer-Encoding');
          sawTransferEncoding = true;
          if (value.toLowerCase() === 'chunked') chunked = true;
          else if (isRequest) return fail(400, 'unsupported Transfer-Encoding');
          else if (/(?:^|,)[ \t]*chunked[ \t]*$/i.test(value)) chunked = true;
          break;
        case 'connection':
          connection = connection === '' ? value.toLowerCase() : `${connection},${value.toLowerCase()}`;
          break;
        case 'upgrade':
          upgrade = value;
          break;
      }
      continue;
    }
    if (lower === 'host') {
      hostCount++;
      host = value.toLowerCase();
    } else if (lower === 'expect' && value.toLowerCase() === '100-continue') {
      expectContinue = true;
    }
    if (headers.length >= maxKept) return fail(431, 'too many header fields');
    headers.push(name, value);
  }
  if (sawTransferEncoding && contentLength >= 0)
    return fail(400, 'both Content-Length and Transfer-Encoding');
  if (isRequest) {
    if (hostCount > 1) return fail(400, 'duplicate Host');
    if (hostCount === 0 && version === 11) return fail(400, 'missing Host');
  }

  let close = version === 10;
  let upgradeWanted = false;
  if (connection !== '') {
    for (const raw of connection.split(',')) {
      const token = raw.trim();
      if (token === 'close') close = true;
      else if (token === 'keep-alive') close = false;
      else if (token === 'upgrade') upgradeWanted = true;
      else if (token !== '') removeHeader(headers, token);
    }
  }

  let framing: Framing;
  if (isRequest) {
    framing = chunked ? CHUNKED : contentLength > 0 ? { kind: 'length', length: contentLength } : NO_BODY;
  } else if (
    requestMethod === 'HEAD' ||
    (status >= 100 && status < 200) ||
    status === 204 ||
    status === 304 ||
    (requestMethod === 'CONNECT' && status < 300)
  ) {
    framing = NO_BODY;
  } else if (chunked) {
    framing = CHUNKED;
  } else if (contentLength >= 0) {
    framing = contentLength === 0 ? NO_BODY : { kind: 'length', length: contentLength };
  } else {
    framing = UNTIL_CLOSE;
    close = true;
  }
  if (!isRequest && sawTransferEncoding && !chunked) {
    framing = UNTIL_CLOSE;
    close = true;
  }
  const head: MessageHead = {
    method,
    target,
    status,
    reason,
    version,
    headers,
    host,
    framing,
    close,
    upgrade: upgradeWanted ? upgrade : '',
    expectContinue,
    contentLength,
  };
  return { type: 'head', head, length: end + 4 };
}

/** Why the header line at `pos` is malformed. */
function describeBadLine(text: string, pos: number): string {
  const c = text.charCodeAt(pos);
  if (c === 32 || c === 9) return 'obsolete line folding';
  const eol = text.indexOf('\r\n', pos);
  const line = text.slice(pos, eol < 0 ? undefined : eol);
  if (line.includes('\r') || line.includes('\n')) return 'bare CR or LF in header';
  return 'invalid header field';
}

/** Removes every header named `lower` (already lowercase) from a flat header list. */
function removeHeader(headers: string[], lower: string): void {
  for (let i = headers.length - 2; i >= 0; i -= 2) {
    if (headers[i]!.toLowerCase() === lower) headers.splice(i, 2);
  }
}

/** The first value of header `lower` (lowercase name), or undefined. */
export function headerValue(headers: readonly string[], lower: string): string | undefined {
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i]!.toLowerCase() === lower) return headers[i + 1];
  }
  return undefined;
}

/** The values of header `lower` (lowercase name) joined with ", " (RFC 9110 list form), or undefined. */
export function joinedHeaderValue(headers: readonly string[], lower: string): string | undefined {
  let out: string | undefined;
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i]!.toLowerCase() !== lower) continue;
    const value = headers[i + 1]!;
    out = out === undefined ? value : `${out}, ${value}`;
  }
  return out;
}
