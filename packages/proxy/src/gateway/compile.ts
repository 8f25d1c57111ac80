/**
 * Checks a GatewayConfig and compiles it for the request path. The control plane validates
 * before pushing; this checks again, defensively, because a push that cannot be served must be
 * NACKed (the last good config keeps serving) rather than fail requests or crash the gateway.
 * Errors name the field path; certificate errors never include key material.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import type { GatewayConfig__Output, GatewayFilter__Output, GatewayRoute__Output } from '@weft/api';
import {
  type CompiledMatch,
  compileMatch,
  compileRetryPolicy,
  describeError,
  durationMs,
  matchFromProto,
  modifiableHeader,
  type RetryPolicy,
  retryFromProto,
  WeftError,
  WeightedChoice,
} from '@weft/core';
import { upstreamListenerTarget } from '../listeners/outbound.js';
import type {
  CompiledBackend,
  CompiledCertificate,
  CompiledFilter,
  CompiledGateway,
  CompiledListener,
  CompiledPort,
  CompiledRoute,
  HeaderModifier,
  PathModifier,
} from './compiled.js';

/** Caps on what one config may hold (a push beyond them is NACKed). */
export const GATEWAY_LIMITS = {
  listeners: 1024,
  routesPerListener: 4096,
  matchesPerRoute: 64,
  filtersPerRoute: 32,
  backendsPerRoute: 64,
  certificatesPerListener: 64,
  headerValueBytes: 8192,
  /** Largest route weight (the Gateway API's maximum). */
  weight: 1_000_000,
} as const;

/** A GatewayConfig that cannot be served. */
export class GatewayConfigError extends WeftError {
  constructor(message: string) {
    super('INVALID_CONFIG', message);
    this.name = 'GatewayConfigError';
  }
}

const HOSTNAME = /^(\*\.)?([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const AUTHORITY = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?:\d{1,5}$/;

function fail(at: string, what: string): never {
  throw new GatewayConfigError(`${at}: ${what}`);
}

/** Compiles `config`; throws GatewayConfigError naming the first problem. */
export function compileGateway(config: GatewayConfig__Output): CompiledGateway {
  if (config.listeners.length > GATEWAY_LIMITS.listeners) {
    fail('listeners', `at most ${GATEWAY_LIMITS.listeners} listeners`);
  }
  const names = new Set<string>();
  const ports = new Map<number, { protocol: 'http' | 'https'; listeners: CompiledListener[] }>();
  config.listeners.forEach((l, i) => {
    const at = `listeners[${i}]`;
    if (l.name === '') fail(`${at}.name`, 'must not be empty');
    if (names.has(l.name)) fail(`${at}.name`, `duplicate listener ${JSON.stringify(l.name)}`);
    names.add(l.name);
    if (!Number.isInteger(l.port) || l.port < 1 || l.port > 65535)
      fail(`${at}.port`, `invalid port ${l.port}`);
    const protocol =
      l.protocol === 'GATEWAY_LISTENER_PROTOCOL_HTTP'
        ? 'http'
        : l.protocol === 'GATEWAY_LISTENER_PROTOCOL_HTTPS'
          ? 'https'
          : fail(`${at}.protocol`, `unsupported protocol ${String(l.protocol)}`);
    checkHostname(l.hostname, `${at}.hostname`, true);
    const group = ports.get(l.port) ?? { protocol, listeners: [] };
    if (group.protocol !== protocol) {
      fail(`${at}.protocol`, `port ${l.port} is both HTTP and HTTPS`);
    }
    if (group.listeners.some((other) => other.hostname === l.hostname)) {
      fail(`${at}.hostname`, `another listener on port ${l.port} has hostname ${JSON.stringify(l.hostname)}`);
    }
    if (protocol === 'http' && l.certificates.length > 0)
      fail(`${at}.certificates`, 'only HTTPS listeners take certificates');
    if (protocol === 'https' && l.certificates.length === 0)
      fail(`${at}.certificates`, 'an HTTPS listener needs a certificate');
    if (l.certificates.length > GATEWAY_LIMITS.certificatesPerListener) {
      fail(`${at}.certificates`, `at most ${GATEWAY_LIMITS.certificatesPerListener}`);
    }
    if (l.routes.length > GATEWAY_LIMITS.routesPerListener) {
      fail(`${at}.routes`, `at most ${GATEWAY_LIMITS.routesPerListener} routes`);
    }
    const certificates = l.certificates.map((c, j) =>
      compileCertificate(c.name, c.certificateChainPem, c.privateKeyPem, `${at}.certificates[${j}]`),
    );
    const routes = l.routes.map((r, j) => compileRoute(r, `${at}.routes[${j}]`));
    group.listeners.push({ name: l.name, hostname: l.hostname, routes, certificates });
    ports.set(l.port, group);
  });
  const out = new Map<number, CompiledPort>();
  for (const [port, g] of ports) out.set(port, { port, protocol: g.protocol, listeners: g.listeners });
  return { ports: out };
}

function checkHostname(name: string, at: string, allowEmpty: boolean): void {
  if (name === '' && allowEmpty) return;
  if (name.length > 253 || !HOSTNAME.test(name)) fail(at, `invalid hostname ${JSON.stringify(name)}`);
}

function compileCertificate(name: string, chainPem: string, keyPem: string, at: string): CompiledCertificate {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(chainPem);
  } catch (err) {
    fail(`${at} (${name}).certificateChainPem`, `not a PEM certificate (${describeError(err)})`);
  }
  let key: ReturnType<typeof createPrivateKey>;
  try {
    key = createPrivateKey(keyPem);
  } catch {
    // The parser's message could quote the input: say only that it did not parse.
    fail(`${at} (${name}).privateKeyPem`, 'not a PEM private key');
  }
  if (!x509.checkPrivateKey(key)) fail(`${at} (${name})`, 'the private key does not match the certificate');
  const now = Date.now();
  if (Date.parse(x509.validTo) < now) fail(`${at} (${name})`, `the certificate expired at ${x509.validTo}`);
  try {
    return {
      name,
      x509,
      chainPem,
      keyPem,
      context: createSecureContext({ cert: chainPem, key: keyPem, minVersion: 'TLSv1.2' }),
    };
  } catch {
    fail(`${at} (${name})`, 'OpenSSL refused the certificate chain or key');
  }
}

function compileRoute(r: GatewayRoute__Output, at: string): CompiledRoute {
  if (r.name === '') fail(`${at}.name`, 'must not be empty');
  r.hostnames.forEach((h, i) => {
    checkHostname(h, `${at}.hostnames[${i}]`, false);
  });
  if (r.matches.length > GATEWAY_LIMITS.matchesPerRoute)
    fail(`${at}.matches`, `at most ${GATEWAY_LIMITS.matchesPerRoute}`);
  if (r.filters.length > GATEWAY_LIMITS.filtersPerRoute)
    fail(`${at}.filters`, `at most ${GATEWAY_LIMITS.filtersPerRoute}`);
  if (r.backends.length > GATEWAY_LIMITS.backendsPerRoute)
    fail(`${at}.backends`, `at most ${GATEWAY_LIMITS.backendsPerRoute}`);
  const matches = r.matches.map((m, i) => compileOne(m, `${at}.matches[${i}]`));
  const filters = compileFilters(r.filters, `${at}.filters`);
  const prefixOnly = matches.every((m) => m.pathKind === 'prefix');
  for (const f of filters) {
    const path = f.type === 'redirect' || f.type === 'rewrite' ? f.path : undefined;
    if (path?.type === 'prefix' && !prefixOnly) {
      fail(`${at}.filters`, 'ReplacePrefixMatch needs every match of the route to be a PathPrefix');
    }
  }
  if (filters.some((f) => f.type === 'redirect') && filters.some((f) => f.type === 'rewrite')) {
    fail(`${at}.filters`, 'RequestRedirect and URLRewrite cannot be on the same rule');
  }
  const backends = r.backends.map((b, i): { value: CompiledBackend; weight: number } => {
    const bat = `${at}.backends[${i}]`;
    if (b.unresolvedReason === '' && !AUTHORITY.test(b.authority)) {
      fail(`${bat}.authority`, `not a mesh authority: ${JSON.stringify(b.authority)}`);
    }
    if (b.weight > GATEWAY_LIMITS.weight) fail(`${bat}.weight`, `at most ${GATEWAY_LIMITS.weight}`);
    const bf = compileFilters(b.filters, `${bat}.filters`);
    if (bf.some((f) => f.type === 'redirect')) fail(`${bat}.filters`, 'a backend cannot redirect');
    return {
      value: {
        authority: b.authority,
        egress: upstreamListenerTarget(b.authority).egress,
        filters: bf,
        unresolvedReason: b.unresolvedReason,
      },
      weight: b.weight,
    };
  });
  return {
    name: r.name,
    hostnames: r.hostnames.map((h) => h.toLowerCase()),
    matches,
    filters,
    responseModifiers: filters.flatMap((f) => (f.type === 'response-headers' ? [f.modifier] : [])),
    backends: new WeightedChoice(backends),
    requestTimeoutMs: durationMs(r.requestTimeout) ?? Number.NaN,
    backendRequestTimeoutMs: durationMs(r.backendRequestTimeout) ?? Number.NaN,
    retry: r.retry == null ? undefined : compileRetry(r.retry, `${at}.retry`),
    grpc: r.grpc,
  };
}

function compileRetry(r: NonNullable<GatewayRoute__Output['retry']>, at: string): RetryPolicy {
  try {
    return compileRetryPolicy(retryFromProto(r), at);
  } catch (err) {
    return fail(at, describeError(err));
  }
}

function compileOne(m: GatewayRoute__Output['matches'][number], at: string): CompiledMatch {
  try {
    return compileMatch(matchFromProto(m), at);
  } catch (err) {
    return fail(at, describeError(err));
  }
}

function compileFilters(filters: readonly GatewayFilter__Output[], at: string): CompiledFilter[] {
  return filters.map((f, i) => compileFilter(f, `${at}[${i}]`));
}

function compileFilter(f: GatewayFilter__Output, at: string): CompiledFilter {
  switch (f.kind) {
    case 'requestHeaderModifier':
      return {
        type: 'request-headers',
        modifier: headerModifier(f.requestHeaderModifier, `${at}.requestHeaderModifier`),
      };
    case 'responseHeaderModifier':
      return {
        type: 'response-headers',
        modifier: headerModifier(f.responseHeaderModifier, `${at}.responseHeaderModifier`),
      };
    case 'requestRedirect': {
      const r = f.requestRedirect!;
      const rat = `${at}.requestRedirect`;
      if (r.scheme !== '' && r.scheme !== 'http' && r.scheme !== 'https')
        fail(`${rat}.scheme`, `unsupported ${JSON.stringify(r.scheme)}`);
      if (r.hostname !== '') checkHostname(r.hostname, `${rat}.hostname`, false);
      if (r.port > 65535) fail(`${rat}.port`, `invalid port ${r.port}`);
      const code = r.statusCode === 0 ? 302 : r.statusCode;
      if (code !== 301 && code !== 302) fail(`${rat}.statusCode`, `must be 301 or 302 (got ${code})`);
      return {
        type: 'redirect',
        scheme: r.scheme as '' | 'http' | 'https',
        hostname: r.hostname.toLowerCase(),
        path: pathModifier(r.path, `${rat}.path`),
        port: r.port,
        statusCode: code,
      };
    }
    case 'urlRewrite': {
      const r = f.urlRewrite!;
      if (r.hostname !== '') checkHostname(r.hostname, `${at}.urlRewrite.hostname`, false);
      return {
        type: 'rewrite',
        hostname: r.hostname.toLowerCase(),
        path: pathModifier(r.path, `${at}.urlRewrite.path`),
      };
    }
    case 'requestMirror': {
      const m = f.requestMirror!;
      if (!AUTHORITY.test(m.authority))
        fail(`${at}.requestMirror.authority`, `not a mesh authority: ${JSON.stringify(m.authority)}`);
      let { numerator, denominator } = m;
      if (numerator === 0 && denominator === 0) {
        numerator = 100;
        denominator = 100;
      }
      if (denominator === 0 || numerator > denominator) {
        fail(`${at}.requestMirror`, `fraction ${numerator}/${denominator} is not between 0 and 1`);
      }
      return { type: 'mirror', authority: m.authority, numerator, denominator };
    }
    default:
      fail(at, 'filter without a kind');
  }
}

function headerModifier(m: GatewayFilter__Output['requestHeaderModifier'], at: string): HeaderModifier {
  if (m == null) fail(at, 'missing');
  const pair = (h: { name: string; value: string }, i: number, list: string): readonly [string, string] => {
    if (!HEADER_NAME.test(h.name))
      fail(`${at}.${list}[${i}].name`, `invalid header name ${JSON.stringify(h.name)}`);
    if (h.value.length > GATEWAY_LIMITS.headerValueBytes || /[\r\n\0]/.test(h.value)) {
      fail(`${at}.${list}[${i}].value`, 'invalid header value');
    }
    const name = h.name.toLowerCase();
    if (!modifiableHeader(name)) fail(`${at}.${list}[${i}].name`, `${name} cannot be modified here`);
    return [name, h.value];
  };
  m.remove.forEach((n, i) => {
    if (!HEADER_NAME.test(n)) fail(`${at}.remove[${i}]`, `invalid header name ${JSON.stringify(n)}`);
  });
  return {
    set: m.set.map((h, i) => pair(h, i, 'set')),
    add: m.add.map((h, i) => pair(h, i, 'add')),
    remove: m.remove.map((n) => n.toLowerCase()),
  };
}

function pathModifier(
  p: {
    kind?: 'replaceFullPath' | 'replacePrefixMatch';
    replaceFullPath?: string;
    replacePrefixMatch?: string;
  } | null,
  at: string,
): PathModifier | undefined {
  if (p == null || p.kind === undefined) return undefined;
  const value = (p.kind === 'replaceFullPath' ? p.replaceFullPath : p.replacePrefixMatch) ?? '';
  if (!value.startsWith('/') || /[\s?#]/.test(value))
    fail(`${at}.${p.kind}`, `invalid path ${JSON.stringify(value)}`);
  return p.kind === 'replaceFullPath' ? { type: 'full', value } : { type: 'prefix', value };
}
