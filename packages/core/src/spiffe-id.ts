/** SPIFFE IDs: parse and format `spiffe://<trust-domain>/<path>`, with weft's `ns/<ns>/sa/<sa>` form. */

/** A parsed SPIFFE ID. `namespace`/`serviceAccount` are set when the path is `/ns/<ns>/sa/<sa>`. */
export interface SpiffeId {
  readonly trustDomain: string;
  /** The path including its leading slash, or '' for the trust domain's own ID. */
  readonly path: string;
  readonly namespace?: string;
  readonly serviceAccount?: string;
}

/** Why a string is not a SPIFFE ID (stable values; used in metrics and error messages). */
export type SpiffeIdError =
  | 'empty'
  | 'too-long'
  | 'wrong-scheme'
  | 'missing-trust-domain'
  | 'bad-trust-domain'
  | 'has-port-or-userinfo'
  | 'has-query-or-fragment'
  | 'bad-path';

/** The result of {@link parseSpiffeId}. */
export type SpiffeIdResult = { type: 'ok'; id: SpiffeId } | { type: 'error'; reason: SpiffeIdError };

const SCHEME = 'spiffe://';
const MAX_LENGTH = 2048;
const TRUST_DOMAIN = /^[a-z0-9._-]+$/;
const SEGMENT = /^[A-Za-z0-9._-]+$/;

/**
 * Parses a SPIFFE ID per the SPIFFE-ID spec: lowercase `spiffe` scheme, a trust domain of
 * `[a-z0-9._-]`, no port, user info, query or fragment, and path segments of `[A-Za-z0-9._-]`
 * that are neither empty nor `.`/`..`.
 */
export function parseSpiffeId(uri: string): SpiffeIdResult {
  if (uri.length === 0) return { type: 'error', reason: 'empty' };
  if (uri.length > MAX_LENGTH) return { type: 'error', reason: 'too-long' };
  if (!uri.startsWith(SCHEME)) return { type: 'error', reason: 'wrong-scheme' };
  const rest = uri.slice(SCHEME.length);
  if (/[?#]/.test(rest)) return { type: 'error', reason: 'has-query-or-fragment' };
  const slash = rest.indexOf('/');
  const trustDomain = slash === -1 ? rest : rest.slice(0, slash);
  const path = slash === -1 ? '' : rest.slice(slash);
  if (trustDomain.length === 0) return { type: 'error', reason: 'missing-trust-domain' };
  if (/[@:]/.test(trustDomain)) return { type: 'error', reason: 'has-port-or-userinfo' };
  if (!TRUST_DOMAIN.test(trustDomain) || trustDomain.length > 255) {
    return { type: 'error', reason: 'bad-trust-domain' };
  }
  if (path !== '') {
    const segments = path.slice(1).split('/');
    for (const s of segments) {
      if (!SEGMENT.test(s) || s === '.' || s === '..') return { type: 'error', reason: 'bad-path' };
    }
    if (segments.length === 4 && segments[0] === 'ns' && segments[2] === 'sa') {
      return {
        type: 'ok',
        id: { trustDomain, path, namespace: segments[1] as string, serviceAccount: segments[3] as string },
      };
    }
  }
  return { type: 'ok', id: { trustDomain, path } };
}

/** Formats weft's workload identity `spiffe://<td>/ns/<ns>/sa/<sa>`; throws on an invalid part. */
export function formatSpiffeId(parts: {
  trustDomain: string;
  namespace: string;
  serviceAccount: string;
}): string {
  const uri = `${SCHEME}${parts.trustDomain}/ns/${parts.namespace}/sa/${parts.serviceAccount}`;
  const parsed = parseSpiffeId(uri);
  if (parsed.type === 'error' || parsed.id.namespace !== parts.namespace) {
    throw new RangeError(`not a valid SPIFFE ID: ${JSON.stringify(uri)}`);
  }
  return uri;
}

/** Renders a parsed ID back to its URI. */
export function spiffeIdToString(id: SpiffeId): string {
  return `${SCHEME}${id.trustDomain}${id.path}`;
}
