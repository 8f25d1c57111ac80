import { describe, expect, it } from 'vitest';
import {
  type Connection,
  type EvaluatedPolicy,
  evaluateConnection,
  inCidr,
  selectorMatches,
} from './evaluate.js';

const web = { namespace: 'shop', namespaceLabels: { team: 'a' }, labels: { app: 'web' }, ip: '10.0.0.1' };
const api = {
  namespace: 'shop',
  namespaceLabels: { team: 'a' },
  labels: { app: 'api' },
  ip: '10.0.0.2',
  namedPorts: { http: 8080 },
};
const mon = { namespace: 'monitoring', namespaceLabels: {}, labels: { app: 'prom' }, ip: '10.9.0.1' };

function conn(
  from: Connection['from'],
  to: Connection['to'],
  port: number,
  protocol: Connection['protocol'] = 'TCP',
): Connection {
  return { from, to, port, protocol };
}

function policy(name: string, namespace: string, spec: EvaluatedPolicy['spec']): EvaluatedPolicy {
  return { metadata: { name, namespace }, spec };
}

describe('selectorMatches', () => {
  it('implements matchLabels and the four operators', () => {
    const labels = { app: 'api', tier: 'back' };
    expect(selectorMatches({}, labels)).toBe(true);
    expect(selectorMatches({ matchLabels: { app: 'api' } }, labels)).toBe(true);
    expect(selectorMatches({ matchLabels: { app: 'web' } }, labels)).toBe(false);
    expect(
      selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'In', values: ['back'] }] }, labels),
    ).toBe(true);
    expect(
      selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['back'] }] }, labels),
    ).toBe(false);
    expect(
      selectorMatches({ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['x'] }] }, labels),
    ).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'zone', operator: 'Exists' }] }, labels)).toBe(false);
    expect(selectorMatches({ matchExpressions: [{ key: 'zone', operator: 'DoesNotExist' }] }, labels)).toBe(
      true,
    );
  });
});

describe('inCidr', () => {
  it('matches IPv4 prefixes', () => {
    expect(inCidr('10.0.0.1', '10.0.0.0/8')).toBe(true);
    expect(inCidr('11.0.0.1', '10.0.0.0/8')).toBe(false);
    expect(inCidr('1.2.3.4', '0.0.0.0/0')).toBe(true);
    expect(inCidr('10.0.0.1', '10.0.0.1/32')).toBe(true);
    expect(inCidr('10.0.0.1', 'nonsense')).toBe(false);
  });
});

describe('evaluateConnection', () => {
  it('allows everything when no policy selects either side', () => {
    expect(evaluateConnection([], conn(web, api, 8080))).toEqual({ type: 'allow' });
  });

  it('isolates a selected pod: only listed peers and ports get in, and names the policy', () => {
    const p = policy('api-in', 'shop', {
      podSelector: { matchLabels: { app: 'api' } },
      ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ port: 'http' }] }],
    });
    expect(evaluateConnection([p], conn(web, api, 8080)).type).toBe('allow');
    expect(evaluateConnection([p], conn(web, api, 9090))).toEqual({
      type: 'deny',
      direction: 'ingress',
      policies: ['shop/api-in'],
    });
    // A podSelector-only peer means the policy's own namespace.
    expect(evaluateConnection([p], conn({ ...mon, labels: { app: 'web' } }, api, 8080)).type).toBe('deny');
    expect(evaluateConnection([p], conn(web, api, 8080, 'UDP')).type).toBe('deny');
  });

  it('adds policies up and reads namespaceSelector, ipBlock and endPort', () => {
    const deny = policy('deny-all', 'shop', { podSelector: {}, policyTypes: ['Ingress'] });
    const fromMon = policy('from-mon', 'shop', {
      podSelector: {},
      ingress: [
        {
          from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
          ports: [{ port: 9000, endPort: 9100 }],
        },
      ],
    });
    const fromIp = policy('from-ip', 'shop', {
      podSelector: {},
      ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/24', except: ['10.0.0.1/32'] } }] }],
    });
    expect(evaluateConnection([deny], conn(mon, api, 9050)).type).toBe('deny');
    expect(evaluateConnection([deny, fromMon], conn(mon, api, 9050)).type).toBe('allow');
    expect(evaluateConnection([deny, fromMon], conn(mon, api, 9101)).type).toBe('deny');
    expect(evaluateConnection([deny, fromIp], conn(web, api, 1)).type).toBe('deny');
    expect(evaluateConnection([deny, fromIp], conn(api, web, 1)).type).toBe('allow');
  });

  it('checks the source egress first', () => {
    const egress = policy('no-egress', 'shop', {
      podSelector: { matchLabels: { app: 'web' } },
      policyTypes: ['Egress'],
      egress: [{ ports: [{ protocol: 'UDP', port: 53 }] }],
    });
    expect(evaluateConnection([egress], conn(web, api, 8080))).toEqual({
      type: 'deny',
      direction: 'egress',
      policies: ['shop/no-egress'],
    });
    expect(evaluateConnection([egress], conn(web, mon, 53, 'UDP')).type).toBe('allow');
  });
});
