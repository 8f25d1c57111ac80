// Fuzz target: the HTTP/1 head parser (requests and responses) and its re-serialization.
//
// Invariants: the result is `incomplete`, a typed error (400/431/501/505 with a reason), or a head
// whose re-serialization parses to the same head; no parsed field carries CR, LF or NUL; a head is
// never found in a prefix of its own bytes and a prefix never fails where the whole head parses
// (the proxy parses as bytes arrive, so a split must not change the verdict).
import { parseHead } from '../../../packages/proxy/dist/http1/head-parser.js';
import { serializeRequestHead, serializeResponseHead } from '../../../packages/proxy/dist/http1/serialize.js';
import { check, sameJson } from './invariant.mjs';

export const meta = {
  description: 'HTTP/1 head parser + serializer round trip',
  sync: true,
  includes: ['packages/proxy/dist/http1/'],
};

const LIMITS = { maxHeadBytes: 16 * 1024, maxHeaders: 100 };
const METHODS = ['', 'GET', 'HEAD', 'POST', 'CONNECT'];
const ERROR_STATUSES = new Set([400, 431, 501, 505]);
const FORBIDDEN = /[\r\n\0]/;

function checkResult(result) {
  check(['incomplete', 'head', 'error'].includes(result.type), () => `unknown result type ${result.type}`);
  if (result.type === 'error') {
    check(ERROR_STATUSES.has(result.status), () => `unexpected error status ${result.status}`);
    check(typeof result.reason === 'string' && result.reason !== '', 'error without a reason');
  }
}

function checkHead(head) {
  const fields = [head.method, head.target, head.reason, head.host, head.upgrade, ...head.headers];
  for (const f of fields)
    check(!FORBIDDEN.test(f), () => `parsed field carries CR/LF/NUL: ${JSON.stringify(f)}`);
  check(head.headers.length % 2 === 0, 'odd header list');
  const f = head.framing;
  if (f.kind === 'length') check(Number.isSafeInteger(f.length) && f.length > 0, 'bad framing length');
}

/** The parts of a head that must survive a serialize -> parse round trip. */
function essence(head) {
  return {
    method: head.method,
    target: head.target,
    status: head.status,
    headers: head.headers,
    host: head.host,
    framing: head.framing,
    upgrade: head.upgrade,
    expectContinue: head.expectContinue,
  };
}

export function fuzz(data) {
  if (data.length < 1) return;
  const isRequest = (data[0] & 1) === 0;
  const requestMethod = METHODS[(data[0] >> 1) % METHODS.length];
  const buf = data.subarray(1);
  const result = parseHead(buf, isRequest, LIMITS, requestMethod);
  checkResult(result);
  if (result.type !== 'head') return;
  const { head, length } = result;
  check(length <= buf.length && length <= LIMITS.maxHeadBytes, 'head longer than its input or limit');
  checkHead(head);

  for (const cut of [length - 1, (data[0] * 31) % length]) {
    const prefix = parseHead(buf.subarray(0, cut), isRequest, LIMITS, requestMethod);
    check(
      prefix.type === 'incomplete',
      () => `prefix of ${cut} bytes gave ${prefix.type} (${prefix.reason})`,
    );
  }

  // Requests always go upstream as HTTP/1.1, which needs a Host an HTTP/1.0 request may lack.
  if (isRequest && head.host === '' && head.version === 10) return;
  const again = isRequest
    ? serializeRequestHead(head, '')
    : serializeResponseHead(head, head.version, head.framing.kind === 'chunked' ? 'raw' : 'rechunk', false);
  const reparsed = parseHead(Buffer.from(again, 'latin1'), isRequest, LIMITS, requestMethod);
  check(
    reparsed.type === 'head',
    () => `re-serialized head does not parse: ${reparsed.reason} in ${JSON.stringify(again)}`,
  );
  if (isRequest) {
    check(
      sameJson(essence(reparsed.head), essence(head)),
      () => `round trip changed the head: ${JSON.stringify(again)}`,
    );
  } else {
    check(reparsed.head.status === head.status, 'round trip changed the status');
    check(
      sameJson(reparsed.head.headers, head.headers),
      () => `round trip changed headers: ${JSON.stringify(again)}`,
    );
  }
}
