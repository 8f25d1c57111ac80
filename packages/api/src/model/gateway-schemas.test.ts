// Schemas of what the ingress gateway reads: each bad field is named by its path.
import { describe, expect, it } from 'vitest';
import { httpRouteSchema } from './gateway.js';
import { gatewaySchema, grpcRouteSchema, referenceGrantSchema } from './gateway-api.js';
import { ingressSchema, tlsSecretSchema } from './ingress.js';
import { ConfigError, parseConfig } from './parse.js';

function issues(schema: Parameters<typeof parseConfig>[0], input: unknown): string[] {
  try {
    parseConfig(schema, input, 'test');
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => `${i.path}: ${i.message}`);
    throw err;
  }
  throw new Error('expected a ConfigError');
}

const GW = 'gateway.networking.k8s.io/v1';
const meta = { name: 'gw', namespace: 'edge' };

describe('Gateway', () => {
  it('parses listeners with TLS and allowedRoutes, defaulting TLS mode and namespaces.from', () => {
    const gw = parseConfig(
      gatewaySchema,
      {
        apiVersion: GW,
        kind: 'Gateway',
        metadata: meta,
        spec: {
          gatewayClassName: 'weft',
          listeners: [
            {
              name: 'https',
              port: 443,
              protocol: 'HTTPS',
              hostname: '*.example.com',
              tls: { certificateRefs: [{ name: 'c' }] },
              allowedRoutes: { namespaces: {} },
            },
          ],
        },
      },
      't',
    );
    expect(gw.spec.listeners[0]?.tls?.mode).toBe('Terminate');
    expect(gw.spec.listeners[0]?.allowedRoutes?.namespaces?.from).toBe('Same');
  });

  it('names a duplicate listener name, a bad hostname and a Selector without a selector', () => {
    expect(
      issues(gatewaySchema, {
        apiVersion: GW,
        kind: 'Gateway',
        metadata: meta,
        spec: {
          gatewayClassName: 'weft',
          listeners: [
            { name: 'a', port: 80, protocol: 'HTTP', hostname: 'Bad_Host' },
            { name: 'a', port: 81, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'Selector' } } },
          ],
        },
      }),
    ).toEqual([
      'spec.listeners[0].hostname: must be a lower-case RFC 1123 hostname, optionally starting with "*."',
      'spec.listeners[1].allowedRoutes.namespaces.selector: selector is required when from is Selector',
      'spec.listeners[1].name: listener name "a" is used twice',
    ]);
  });
});

describe('HTTPRoute with a Gateway parent', () => {
  it('names a filter whose configuration is missing, and a mirror with both percent and fraction', () => {
    expect(
      issues(httpRouteSchema, {
        apiVersion: GW,
        kind: 'HTTPRoute',
        metadata: meta,
        spec: {
          parentRefs: [{ name: 'gw', sectionName: 'https' }],
          rules: [
            {
              filters: [
                { type: 'RequestRedirect' },
                {
                  type: 'RequestMirror',
                  requestMirror: {
                    backendRef: { name: 'm', port: 80 },
                    percent: 5,
                    fraction: { numerator: 1 },
                  },
                },
                { type: 'URLRewrite', urlRewrite: { path: { type: 'ReplaceFullPath' } } },
              ],
            },
          ],
        },
      }),
    ).toEqual([
      'spec.rules[0].filters[0].requestRedirect: required when type is RequestRedirect',
      'spec.rules[0].filters[1].requestMirror: percent and fraction are exclusive',
      'spec.rules[0].filters[2].urlRewrite.path.replaceFullPath: required when type is ReplaceFullPath',
    ]);
  });
});

describe('GRPCRoute and ReferenceGrant', () => {
  it('needs a service or a method in a method match', () => {
    expect(
      issues(grpcRouteSchema, {
        apiVersion: GW,
        kind: 'GRPCRoute',
        metadata: meta,
        spec: { parentRefs: [{ name: 'gw' }], rules: [{ matches: [{ method: { type: 'Exact' } }] }] },
      }),
    ).toEqual(['spec.rules[0].matches[0].method: one of service and method is required']);
  });

  it('needs at least one from and one to', () => {
    expect(
      issues(referenceGrantSchema, {
        apiVersion: 'gateway.networking.k8s.io/v1beta1',
        kind: 'ReferenceGrant',
        metadata: meta,
        spec: { from: [], to: [{ group: '', kind: 'Service' }] },
      }),
    ).toEqual(['spec.from: Too small: expected array to have >=1 items']);
  });
});

describe('Ingress and TLS Secrets', () => {
  it('names a backend with both a service and a resource, and a bad path type', () => {
    expect(
      issues(ingressSchema, {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: meta,
        spec: {
          defaultBackend: {
            service: { name: 'web', port: { number: 80 } },
            resource: { kind: 'Bucket', name: 'b' },
          },
          rules: [
            {
              http: {
                paths: [{ path: '/', pathType: 'Regex', backend: { service: { name: 'web', port: {} } } }],
              },
            },
          ],
        },
      }),
    ).toEqual([
      'spec.defaultBackend: exactly one of service and resource',
      'spec.rules[0].http.paths[0].pathType: Invalid option: expected one of "Exact"|"Prefix"|"ImplementationSpecific"',
      'spec.rules[0].http.paths[0].backend.service.port: exactly one of number and name',
    ]);
  });

  it('reads only kubernetes.io/tls Secrets with base64 tls.crt and tls.key', () => {
    expect(
      issues(tlsSecretSchema, {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: meta,
        type: 'kubernetes.io/tls',
        data: { 'tls.crt': 'not base64!' },
      }),
    ).toEqual([
      'data.tls.crt: must be base64',
      'data.tls.key: Invalid input: expected string, received undefined',
    ]);
  });
});
