/**
 * The authorization bypass corpus (issue 12): request targets and Host variants that try to
 * reach a path a rule denies, and an independent RFC 3986 oracle of what path a target names.
 */

/** Paths the corpus policy denies (exact, and everything under them). */
export const DENIED_PREFIXES = ['/admin', '/secret'] as const;

/** The policy's path patterns for DENIED_PREFIXES. */
export const DENIED_PATTERNS = DENIED_PREFIXES.flatMap((p) => [p, `${p}/*`]);

/** Targets sent as the request-line target (HTTP/1.1) or `:path` (HTTP/2). */
export const TARGETS: readonly string[] = [
  // controls: must be denied
  '/admin',
  '/admin/x',
  '/secret',
  // percent-encoding
  '/%61dmin',
  '/%61%64%6D%69%6E',
  '/%2561dmin',
  '/adm%69n/x',
  '/%73ecret',
  // dot segments
  '/./admin',
  '/x/../admin',
  '/public/../secret',
  '/admin/./',
  '/%2e/admin',
  '/%2e%2e/admin',
  '/x/%2E%2E/admin',
  '/public/.%2e/secret',
  '/x/..%2Fadmin',
  '/x/..%5Cadmin',
  '/public/%2E%2E%2Fsecret',
  '/../../admin',
  // double slashes
  '//admin',
  '///admin',
  '/public//../admin',
  '//admin//x',
  // backslashes
  '/x\\..\\admin',
  '/\\admin',
  '/%5cadmin',
  '/%2fadmin',
  // ';' parameters
  '/admin;x=1',
  '/;/admin',
  '/public;/../admin',
  '/x/..;/admin',
  // case
  '/ADMIN',
  '/Admin',
  '/%41DMIN',
  // absolute-form
  'http://b/admin',
  'http://b/x/../admin',
  'HTTP://b/%61dmin',
  'http://evil.example/admin',
  'https://b/secret',
  'http://b',
  // no leading slash, other forms
  'admin',
  'admin/x',
  '*',
  // fragments
  '/admin#frag',
  '/public#/../admin',
  '/x/..#/admin',
  // overlong UTF-8 and invalid escapes
  '/%C0%AFadmin',
  '/x/%C0%AE%C0%AE/admin',
  '/%c0%ae%c0%ae/admin',
  '/%e0%80%afadmin',
  '/admin%',
  '/%zzadmin',
  // NUL and controls
  '/admin%00',
  '/%00/../admin',
  '/admin%00.txt',
  '/admin%0d%0a',
  // queries
  '/admin?x=1',
  '/public?/../admin',
  '/public?next=%2e%2e/admin',
];

/** Host header / :authority variants, each tried with a few targets. */
export const HOSTS: readonly string[] = [
  'b',
  'B',
  'b:80',
  'b.default.svc.cluster.local',
  'b.default.svc.cluster.local.',
  'evil.example',
  '127.0.0.1',
  '[::1]:80',
];
export const HOST_TARGETS: readonly string[] = ['/admin', '/%61dmin', '/x/../admin', 'http://b/admin'];

const UNRESERVED = /[A-Za-z0-9\-._~]/;

/**
 * RFC 3986 §6.2.2 as an oracle, written apart from the proxy's normalizer: the path part of a
 * target (absolute-form reduced to its path), unreserved escapes decoded, dot segments removed.
 * It is deliberately more eager than the RFC where apps commonly are: `%2F`, `%5C` and `\`
 * count as `/`, and runs of `/` as one — so a path that reaches the app is checked against
 * every reading an app might give it (paths stay case-sensitive; `;` stays part of a segment).
 */
export function rfc3986Path(target: string): string {
  let t = target;
  const abs = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]*/.exec(t);
  if (abs !== null) t = t.slice(abs[0].length) || '/';
  t = t.split(/[?#]/)[0]!;
  t = t.replace(/%([0-9A-Fa-f]{2})/g, (all, hex: string) => {
    const c = String.fromCharCode(Number.parseInt(hex, 16));
    if (c === '/' || c === '\\') return '/';
    return UNRESERVED.test(c) ? c : all.toUpperCase();
  });
  t = t.replace(/\\/g, '/');
  const out: string[] = [];
  const segs = t.split('/');
  for (let i = 1; i < segs.length; i++) {
    const s = segs[i]!;
    if (s === '.') continue;
    if (s === '..') out.pop();
    else out.push(s);
  }
  return `/${out.join('/')}`.replace(/\/{2,}/g, '/');
}

/** True when `path` (as an app received it) names a denied resource under RFC 3986. */
export function isDenied(received: string): boolean {
  // Both orders an app may apply: dot segments then merged slashes, or merged slashes first.
  const readings = [rfc3986Path(received), rfc3986Path(received.replace(/\/{2,}/g, '/'))];
  return readings.some((p) => DENIED_PREFIXES.some((d) => p === d || p.startsWith(`${d}/`)));
}
