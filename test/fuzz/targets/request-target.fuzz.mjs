// Fuzz target: the request-target normalizer that authorization, routing and metrics share.
//
// Byte 0 chooses the options (merge slashes, escaped-slash action, backslash action) and the
// method; the rest is the target, read as latin1 as the HTTP/1 parser reads it.
// Invariants: it never throws; a rejection names a reason and a detail; an accepted origin or
// absolute form has a path that starts with '/', holds only printable ASCII, has no '.' or '..'
// segment, no '#', no '//' when slashes are merged, and no raw '\'; normalizing the result again
// (path + query, as it is forwarded) is accepted and gives the same path and query (idempotent).
import { normalizeRequestTarget } from '../../../packages/core/dist/http/request-target.js';
import { check } from './invariant.mjs';

export const meta = {
  description: 'request-target normalizer: RFC 3986 normalization is safe and idempotent',
  sync: true,
  includes: ['packages/core/dist/http/'],
};

const ESCAPED = ['keep', 'reject', 'unescape'];
const BACKSLASH = ['reject', 'to-slash'];
const METHODS = ['GET', 'OPTIONS', 'CONNECT', 'POST'];

/** Options chosen by one byte. */
function optionsFor(byte) {
  return {
    mergeSlashes: (byte & 1) === 1,
    escapedSlashes: ESCAPED[((byte >> 1) & 3) % 3],
    backslash: BACKSLASH[(byte >> 3) & 1],
    method: METHODS[(byte >> 4) & 3],
  };
}

/** Checks one input; throws InvariantError when an invariant fails. */
export function fuzz(data) {
  if (data.length === 0) return;
  const options = optionsFor(data[0]);
  const target = data.subarray(1).toString('latin1');
  const r = normalizeRequestTarget(target, options);
  if (r.type === 'reject') {
    check(typeof r.reason === 'string' && r.reason !== '', 'rejection without a reason');
    check(typeof r.detail === 'string', 'rejection without a detail');
    return;
  }
  check(r.type === 'ok', () => `unknown result type ${r.type}`);
  if (r.form !== 'origin' && r.form !== 'absolute') return;
  const { path, query } = r;
  check(path.startsWith('/'), () => `path ${JSON.stringify(path)} does not start with /`);
  check(/^[\x21-\x7e]*$/.test(path), () => `path ${JSON.stringify(path)} is not printable ASCII`);
  check(!path.includes('#'), () => `path ${JSON.stringify(path)} holds a fragment`);
  check(!path.includes('\\'), () => `path ${JSON.stringify(path)} holds a raw backslash`);
  const segments = path.split('/');
  check(
    !segments.some((s) => s === '.' || s === '..'),
    () => `path ${JSON.stringify(path)} keeps a dot segment`,
  );
  if (options.mergeSlashes) check(!path.includes('//'), () => `path ${JSON.stringify(path)} keeps //`);
  check(query === '' || query.startsWith('?'), () => `query ${JSON.stringify(query)} lacks its ?`);
  const again = normalizeRequestTarget(path + query, { ...options, method: 'GET' });
  check(again.type === 'ok', () => `normalized ${JSON.stringify(path + query)} is rejected: ${again.detail}`);
  check(
    again.path === path && again.query === query,
    () => `not idempotent: ${JSON.stringify(path + query)} -> ${JSON.stringify(again.path + again.query)}`,
  );
}
