import { describe, expect, it } from 'vitest';
import { parseName } from './resolve.js';

describe('parseName', () => {
  it.each([
    ['api.shop.svc.cluster.local:80', { type: 'authority', service: 'api', namespace: 'shop', port: 80 }],
    ['api.shop.svc:8080', { type: 'authority', service: 'api', namespace: 'shop', port: 8080 }],
    ['api.shop:80', { type: 'authority', service: 'api', namespace: 'shop', port: 80 }],
    ['api:9090', { type: 'authority', service: 'api', namespace: 'web', port: 9090 }],
    ['API.Shop', { type: 'authority', service: 'api', namespace: 'shop', port: 80 }],
    ['10.96.0.10:80', { type: 'ip', ip: '10.96.0.10', port: 80 }],
    ['[fd00::10]:443', { type: 'ip', ip: 'fd00::10', port: 443 }],
  ])('%s', (name, expected) => {
    expect(parseName(name, 'web', 'cluster.local')).toEqual(expected);
  });

  it.each([
    ['api.shop.svc.example.org:80', 'is not a service in this cluster'],
    ['10.0.0.1', 'needs a port'],
    ['api:0', 'invalid port'],
    ['api:99999', 'invalid port'],
    ['api:8o', 'invalid port'],
    ['under_score:80', 'is not a service authority'],
    ['', '1 to 300 characters'],
  ])('%s is invalid', (name, reason) => {
    const r = parseName(name, 'web', 'cluster.local');
    expect(r.type).toBe('invalid');
    expect(r.type === 'invalid' ? r.reason : '').toContain(reason);
  });
});
