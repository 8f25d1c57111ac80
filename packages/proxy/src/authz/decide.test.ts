import { describe, expect, it } from 'vitest';
import type { InboundPolicy } from '../discovery/resolver.js';
import { decideAuthz } from './decide.js';

const WEB = 'spiffe://cluster.local/ns/shop/sa/web';
const MON = 'spiffe://cluster.local/ns/monitoring/sa/prom';
const policy = (
  rules: InboundPolicy['rules'],
  defaultAction: InboundPolicy['defaultAction'] = 'DEFAULT_ACTION_ALLOW_ALL',
): InboundPolicy => ({
  defaultAction,
  mtlsMode: 'MTLS_MODE_PERMISSIVE',
  ports: [],
  rules,
});
const src = (s: Partial<InboundPolicy['rules'][number]['from'][number]>) => ({
  identities: [],
  namespaces: [],
  unauthenticated: false,
  ...s,
});
const to = (t: Partial<InboundPolicy['rules'][number]['to'][number]>) => ({
  ports: [],
  methods: [],
  paths: [],
  ...t,
});

describe('decideAuthz', () => {
  const p = policy([
    {
      name: 'shop/deny-delete',
      action: 'AUTHORIZATION_ACTION_DENY',
      from: [],
      to: [to({ methods: ['DELETE'] })],
    },
    {
      name: 'shop/api-from-web',
      action: 'AUTHORIZATION_ACTION_ALLOW',
      from: [src({ identities: [WEB] }), src({ namespaces: ['monitoring'] })],
      to: [to({ ports: [80], methods: ['GET'], paths: ['/v1/*'] })],
    },
  ]);

  it('allows what an Allow rule matches (identity or namespace)', () => {
    expect(decideAuthz(p, { identity: WEB, port: 80, method: 'GET', path: '/v1/items?x=1' })).toEqual({
      type: 'allow',
    });
    expect(decideAuthz(p, { identity: MON, port: 80, method: 'GET', path: '/v1/x' })).toEqual({
      type: 'allow',
    });
  });

  it('matches a namespace only in a workload identity (spiffe://<td>/ns/<ns>/sa/<sa>)', () => {
    const request = { port: 80, method: 'GET', path: '/v1/x' };
    for (const identity of [
      'spiffe://cluster.local/ns/monitoring/sa/prom/extra',
      'spiffe://cluster.local/ns/monitoring',
      'spiffe://cluster.local/ns/monitoring/sa/..',
      'spiffe://Cluster.local/ns/monitoring/sa/prom',
    ]) {
      expect(decideAuthz(p, { identity, ...request })).toEqual({ type: 'deny', policy: 'shop/api-from-web' });
    }
  });

  it('denies with the names of the Allow policies that did not match', () => {
    expect(decideAuthz(p, { identity: WEB, port: 80, method: 'GET', path: '/v2/x' })).toEqual({
      type: 'deny',
      policy: 'shop/api-from-web',
    });
    expect(decideAuthz(p, { identity: undefined, port: 80, method: 'GET', path: '/v1/x' })).toEqual({
      type: 'deny',
      policy: 'shop/api-from-web',
    });
  });

  it('evaluates Deny first', () => {
    expect(decideAuthz(p, { identity: WEB, port: 80, method: 'DELETE', path: '/v1/x' })).toEqual({
      type: 'deny',
      policy: 'shop/deny-delete',
    });
  });

  it('falls back to the default action on ports no rule covers', () => {
    const allowOnly = policy(p.rules.filter((r) => r.action === 'AUTHORIZATION_ACTION_ALLOW'));
    expect(decideAuthz(allowOnly, { identity: undefined, port: 9090 })).toEqual({ type: 'allow' });
    const strict = policy([], 'DEFAULT_ACTION_ALLOW_AUTHENTICATED');
    expect(decideAuthz(strict, { identity: undefined, port: 1 })).toEqual({
      type: 'deny',
      policy: 'default:allow-authenticated',
    });
    expect(decideAuthz(strict, { identity: WEB, port: 1 })).toEqual({ type: 'allow' });
    expect(decideAuthz(policy([], 'DEFAULT_ACTION_DENY'), { identity: WEB, port: 1 })).toEqual({
      type: 'deny',
      policy: 'default:deny',
    });
  });

  it('matches unauthenticated sources and never lets a method rule match a bare connection', () => {
    const q = policy([
      {
        name: 'plain',
        action: 'AUTHORIZATION_ACTION_ALLOW',
        from: [src({ unauthenticated: true })],
        to: [to({ methods: ['GET'] })],
      },
    ]);
    expect(decideAuthz(q, { identity: undefined, port: 80, method: 'GET', path: '/' })).toEqual({
      type: 'allow',
    });
    expect(decideAuthz(q, { identity: undefined, port: 80 })).toEqual({ type: 'deny', policy: 'plain' });
  });

  it('reads a Deny rule with HTTP-only fields as matching a bare (opaque) connection on its ports', () => {
    const d = policy([
      {
        name: 'no-admin',
        action: 'AUTHORIZATION_ACTION_DENY',
        from: [],
        to: [to({ ports: [80], paths: ['/admin'] })],
      },
    ]);
    expect(decideAuthz(d, { identity: WEB, port: 80 })).toEqual({ type: 'deny', policy: 'no-admin' });
    expect(decideAuthz(d, { identity: WEB, port: 81 })).toEqual({ type: 'allow' });
    expect(decideAuthz(d, { identity: WEB, port: 80, method: 'GET', path: '/public' })).toEqual({
      type: 'allow',
    });
  });
});
