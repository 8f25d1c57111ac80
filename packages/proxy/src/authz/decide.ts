/**
 * Inbound authorization as a pure decision: Deny rules first, then Allow rules (if any apply
 * to the port, one must match), then the default action. A denial names what denied it.
 */
import { parseSpiffeId } from '@weft/core';
import type { InboundPolicy } from '../discovery/resolver.js';

/** What is being authorized: a connection (no method/path) or one HTTP request. */
export interface AuthzSubject {
  /** Verified SPIFFE ID, undefined for plaintext peers. */
  readonly identity: string | undefined;
  readonly port: number;
  readonly method?: string;
  readonly path?: string;
}

export type AuthzDecision = { readonly type: 'allow' } | { readonly type: 'deny'; readonly policy: string };

const ALLOW: AuthzDecision = { type: 'allow' };

type Rule = InboundPolicy['rules'][number];

/** The namespace of a weft workload identity (`spiffe://<td>/ns/<ns>/sa/<sa>`), else undefined. */
function namespaceOf(identity: string): string | undefined {
  const parsed = parseSpiffeId(identity);
  return parsed.type === 'ok' ? parsed.id.namespace : undefined;
}

function sourceMatches(rule: Rule, identity: string | undefined): boolean {
  if (rule.from.length === 0) return true;
  for (const src of rule.from) {
    if (identity === undefined) {
      if (src.unauthenticated) return true;
      continue;
    }
    if (src.identities.includes('*') || src.identities.includes(identity)) return true;
    const ns = namespaceOf(identity);
    if (ns !== undefined && src.namespaces.includes(ns)) return true;
  }
  return false;
}

function pathMatches(patterns: readonly string[], path: string): boolean {
  for (const p of patterns) {
    if (p.endsWith('*') ? path.startsWith(p.slice(0, -1)) : path === p) return true;
  }
  return false;
}

/**
 * True when some `to` entry matches. For a bare connection (no method or path: opaque TCP),
 * HTTP-only fields cannot be checked: an Allow entry naming them never matches, and a Deny
 * entry naming them matches on its ports alone (the stricter reading, as Istio does), so an
 * HTTP-level Deny can never be bypassed by reaching the port as opaque TCP.
 */
function targetMatches(rule: Rule, subject: AuthzSubject, deny: boolean): boolean {
  if (rule.to.length === 0) return true;
  const bare = subject.method === undefined && subject.path === undefined;
  for (const t of rule.to) {
    if (t.ports.length > 0 && !t.ports.includes(subject.port)) continue;
    if (bare && deny) return true;
    if (t.methods.length > 0 && (subject.method === undefined || !t.methods.includes(subject.method)))
      continue;
    if (t.paths.length > 0) {
      if (subject.path === undefined) continue;
      const q = subject.path.indexOf('?');
      if (!pathMatches(t.paths, q < 0 ? subject.path : subject.path.slice(0, q))) continue;
    }
    return true;
  }
  return false;
}

function appliesToPort(rule: Rule, port: number): boolean {
  return rule.to.length === 0 || rule.to.some((t) => t.ports.length === 0 || t.ports.includes(port));
}

/** Decides whether `subject` may reach the app under `policy` (undefined = mesh default, allow). */
export function decideAuthz(policy: InboundPolicy | undefined, subject: AuthzSubject): AuthzDecision {
  if (policy === undefined) return ALLOW;
  const rules = policy.rules;
  for (const rule of rules) {
    if (
      rule.action === 'AUTHORIZATION_ACTION_DENY' &&
      sourceMatches(rule, subject.identity) &&
      targetMatches(rule, subject, true)
    ) {
      return { type: 'deny', policy: rule.name };
    }
  }
  const applicable: string[] = [];
  for (const rule of rules) {
    if (rule.action !== 'AUTHORIZATION_ACTION_ALLOW' || !appliesToPort(rule, subject.port)) continue;
    if (sourceMatches(rule, subject.identity) && targetMatches(rule, subject, false)) return ALLOW;
    applicable.push(rule.name);
  }
  if (applicable.length > 0) return { type: 'deny', policy: applicable.join(', ') };
  switch (policy.defaultAction) {
    case 'DEFAULT_ACTION_DENY':
      return { type: 'deny', policy: 'default:deny' };
    case 'DEFAULT_ACTION_ALLOW_AUTHENTICATED':
      return subject.identity === undefined ? { type: 'deny', policy: 'default:allow-authenticated' } : ALLOW;
    default:
      return ALLOW;
  }
}
