/** Re-serializes heads from their parsed form (never forwarding raw header bytes). */
import type { MessageHead } from './head-parser.js';

const REASONS: Record<number, string> = {
  100: 'Continue',
  101: 'Switching Protocols',
  200: 'OK',
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  408: 'Request Timeout',
  413: 'Content Too Large',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  505: 'HTTP Version Not Supported',
};

/** The standard reason phrase for `status`. */
export function reasonPhrase(status: number): string {
  return REASONS[status] ?? 'Unknown';
}

function appendHeaders(out: string, headers: readonly string[]): string {
  for (let i = 0; i < headers.length; i += 2) out += `${headers[i]}: ${headers[i + 1]}\r\n`;
  return out;
}

/** Appends `name: value` lines, leaving out the headers whose lowercase name is in `drop`. */
function appendHeadersExcept(out: string, headers: readonly string[], drop: ReadonlySet<string>): string {
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i] as string;
    if (drop.has(name.toLowerCase())) continue;
    out += `${name}: ${headers[i + 1]}\r\n`;
  }
  return out;
}

/**
 * The head sent upstream for a request (always HTTP/1.1; our upstream connections are
 * persistent). `extra` is appended as is (complete header lines); `drop` names headers of
 * `head` to leave out (those `extra` replaces), so the parsed head is never copied.
 */
export function serializeRequestHead(head: MessageHead, extra: string, drop?: ReadonlySet<string>): string {
  const start = `${head.method} ${head.target} HTTP/1.1\r\n`;
  let out =
    drop === undefined ? appendHeaders(start, head.headers) : appendHeadersExcept(start, head.headers, drop);
  const f = head.framing;
  if (f.kind === 'length') out += `content-length: ${f.length}\r\n`;
  else if (f.kind === 'chunked') out += 'transfer-encoding: chunked\r\n';
  else if (head.contentLength === 0) out += 'content-length: 0\r\n';
  if (head.upgrade !== '') out += `connection: upgrade\r\nupgrade: ${head.upgrade}\r\n`;
  return `${out}${extra}\r\n`;
}

/** How the response body is written to the client. */
export type ClientBodyMode = 'none' | 'raw' | 'rechunk' | 'dechunk';

/**
 * The head sent to the client for an upstream response. `mode` says how the body goes out;
 * `close` adds `connection: close`.
 */
export function serializeResponseHead(
  head: MessageHead,
  clientVersion: number,
  mode: ClientBodyMode,
  close: boolean,
): string {
  let out = appendHeaders(
    `HTTP/1.${clientVersion === 11 ? 1 : 0} ${head.status} ${head.reason}\r\n`,
    head.headers,
  );
  const f = head.framing;
  if (f.kind === 'length') out += `content-length: ${f.length}\r\n`;
  else if (mode === 'raw' && f.kind === 'chunked') out += 'transfer-encoding: chunked\r\n';
  else if (mode === 'rechunk') out += 'transfer-encoding: chunked\r\n';
  else if (f.kind === 'none' && head.contentLength >= 0) out += `content-length: ${head.contentLength}\r\n`;
  if (head.status === 101) out += `connection: upgrade\r\nupgrade: ${head.upgrade}\r\n`;
  else if (close) out += 'connection: close\r\n';
  else if (clientVersion === 10) out += 'connection: keep-alive\r\n';
  return `${out}\r\n`;
}

/** A complete local response (errors, denials), text body. */
export function serializeLocalResponse(
  status: number,
  body: string,
  close: boolean,
  extraHeaders: readonly string[] = [],
): string {
  let out = `HTTP/1.1 ${status} ${reasonPhrase(status)}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n`;
  out = appendHeaders(out, extraHeaders);
  if (close) out += 'connection: close\r\n';
  return `${out}\r\n${body}`;
}
