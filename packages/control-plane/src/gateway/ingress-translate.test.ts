// The gateway translation of networking.k8s.io/v1 Ingresses of class weft: path precedence,
// default backends, TLS, and the problems it reports.
import { ingressSchema, parseConfig } from '@weft/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../test-support/certs.js';
import { gateway, HTTP, secret, translate } from '../test-support/gateway-inputs.js';

let pki: TestPki;
beforeAll(() => {
  pki = createTestPki();
});
afterAll(() => pki.cleanup());

describe('Ingress', () => {
  const ingress = (name: string, spec: Record<string, unknown>, created = '2026-01-01T00:00:00Z') =>
    parseConfig(
      ingressSchema,
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: { name, namespace: 'edge', creationTimestamp: created },
        spec: { ingressClassName: 'weft', ...spec },
      },
      't',
    );
  const be = (name: string) => ({ service: { name, port: { number: 80 } } });

  it('orders Exact before the longest Prefix (ImplementationSpecific as Prefix), default backends last, across Ingresses', () => {
    const t = translate({
      gateways: [],
      ingresses: [
        ingress(
          'b',
          {
            defaultBackend: be('web'),
            rules: [
              {
                host: 'shop.example.com',
                http: {
                  paths: [
                    { path: '/', pathType: 'Prefix', backend: be('web') },
                    { path: '/api/v1', pathType: 'ImplementationSpecific', backend: be('api') },
                  ],
                },
              },
            ],
          },
          '2026-02-01T00:00:00Z',
        ),
        ingress('a', {
          defaultBackend: be('api'),
          rules: [
            {
              host: 'shop.example.com',
              http: {
                paths: [
                  { path: '/api', pathType: 'Exact', backend: be('api') },
                  { path: '/api', pathType: 'Prefix', backend: be('missing') },
                ],
              },
            },
          ],
        }),
        ingress('other-class', { ingressClassName: 'nginx', defaultBackend: be('web') }),
      ],
    });
    const [http] = t.configs.get('weft')?.listeners ?? [];
    expect(http).toMatchObject({
      name: 'ingress/edge/a/http',
      port: 80,
      protocol: 'GATEWAY_LISTENER_PROTOCOL_HTTP',
    });
    expect(http?.routes?.map((r) => `${r.name} ${JSON.stringify(r.matches?.[0]?.path ?? null)}`)).toEqual([
      'Ingress/edge/a/0 {"exact":"/api"}',
      'Ingress/edge/b/0 {"prefix":"/api/v1"}',
      'Ingress/edge/a/0 {"prefix":"/api"}',
      'Ingress/edge/b/0 {"prefix":"/"}',
      'Ingress/edge/a/default null',
      'Ingress/edge/b/default null',
    ]);
    expect(http?.routes?.[2]?.backends?.[0]?.unresolvedReason).toContain('BackendNotFound');
  });

  it('serves TLS hosts on an HTTPS listener with the Secret of the Ingress', () => {
    const s = secret('edge', 'shop-tls', pki.server.cert, pki.server.key);
    const t = translate({
      gateways: [],
      ingresses: [
        ingress('a', {
          tls: [{ hosts: ['shop.example.com'], secretName: 'shop-tls' }],
          rules: [
            {
              host: 'shop.example.com',
              http: { paths: [{ path: '/', pathType: 'Prefix', backend: be('web') }] },
            },
          ],
        }),
      ],
      secret: (ns, name) => (ns === 'edge' && name === 'shop-tls' ? s : undefined),
    });
    const listeners = t.configs.get('weft')?.listeners ?? [];
    expect(listeners.map((l) => `${l.name}:${l.port}:${l.certificates?.length}`)).toEqual([
      'ingress/edge/a/http:80:0',
      'ingress/edge/a/https:443:1',
    ]);
    expect(t.ingressProblems).toEqual([]);
  });

  const problemsOf = (t: ReturnType<typeof translate>) =>
    t.ingressProblems.map((p) => `${p.ref.kind} ${p.ref.namespace}/${p.ref.name} ${p.reason}: ${p.message}`);
  const tlsIngress = (name: string, secretName: string) =>
    ingress(name, {
      tls: [{ hosts: ['shop.example.com'], secretName }],
      rules: [
        {
          host: 'shop.example.com',
          http: { paths: [{ path: '/', pathType: 'Prefix', backend: be('web') }] },
        },
      ],
    });

  it('reports PortTaken for every Ingress when a Gateway listener holds port 80 or 443, and serves the Gateway', () => {
    const s = secret('edge', 'shop-tls', pki.server.cert, pki.server.key);
    const t = translate({
      gateways: [
        gateway('gw', [
          HTTP,
          { name: 'https', port: 443, protocol: 'HTTPS', tls: { certificateRefs: [{ name: 'shop-tls' }] } },
        ]),
      ],
      ingresses: [tlsIngress('a', 'shop-tls'), ingress('b', { defaultBackend: be('web') })],
      secret: (ns, name) => (ns === 'edge' && name === 'shop-tls' ? s : undefined),
    });
    expect((t.configs.get('weft')?.listeners ?? []).map((l) => l.name)).toEqual([
      'edge/gw/http',
      'edge/gw/https',
    ]);
    expect(problemsOf(t)).toEqual([
      "Ingress edge/a PortTaken: spec: port 80 is served by Gateway listener edge/gw/http, so this Ingress's routes are not served over HTTP",
      "Ingress edge/a PortTaken: spec.tls[0].secretName: port 443 is served by Gateway listener edge/gw/https, so this Ingress's routes are not served over HTTPS",
      "Ingress edge/b PortTaken: spec: port 80 is served by Gateway listener edge/gw/http, so this Ingress's routes are not served over HTTP",
    ]);
  });

  it('reports SecretNotFound and InvalidCertificateRef for unusable TLS Secrets, without key material, and still serves HTTP', () => {
    // A key that does not belong to the certificate: the check fails.
    const wrong = secret('edge', 'wrong-tls', pki.server.cert, pki.client('spiffe://t/x').key);
    const t = translate({
      gateways: [],
      ingresses: [tlsIngress('a', 'absent-tls'), tlsIngress('b', 'wrong-tls')],
      secret: (ns, name) => (ns === 'edge' && name === 'wrong-tls' ? wrong : undefined),
    });
    expect((t.configs.get('weft')?.listeners ?? []).map((l) => l.name)).toEqual(['ingress/edge/a/http']);
    const [missing, invalid, ...rest] = t.ingressProblems;
    expect(rest).toEqual([]);
    expect(missing).toEqual({
      ref: { kind: 'Ingress', namespace: 'edge', name: 'a' },
      reason: 'SecretNotFound',
      message: 'spec.tls[0].secretName: TLS Secret edge/absent-tls does not exist',
    });
    expect(invalid?.ref.name).toBe('b');
    expect(invalid?.reason).toBe('InvalidCertificateRef');
    expect(invalid?.message).toMatch(/^spec\.tls\[0\]\.secretName: TLS Secret edge\/wrong-tls: /);
    expect(invalid?.message).not.toContain('PRIVATE KEY');
  });

  it('reports BackendNotFound naming the field for a missing Service or port, and keeps the other routes', () => {
    const t = translate({
      gateways: [],
      ingresses: [
        ingress('a', {
          defaultBackend: be('missing'),
          rules: [
            {
              http: {
                paths: [
                  { path: '/ok', pathType: 'Prefix', backend: be('web') },
                  {
                    path: '/port',
                    pathType: 'Prefix',
                    backend: { service: { name: 'web', port: { name: 'grpc' } } },
                  },
                ],
              },
            },
          ],
        }),
      ],
    });
    expect(problemsOf(t)).toEqual([
      'Ingress edge/a BackendNotFound: spec.rules[0].http.paths[1].backend.service.port: Service edge/web has no port grpc',
      'Ingress edge/a BackendNotFound: spec.defaultBackend.service.name: Service edge/missing does not exist',
    ]);
    const routes = t.configs.get('weft')?.listeners?.[0]?.routes ?? [];
    expect(routes.map((r) => `${r.name} ${r.backends?.[0]?.unresolvedReason ?? 'ok'}`)).toEqual([
      'Ingress/edge/a/0 BackendNotFound: spec.rules[0].http.paths[1].backend.service.port: Service edge/web has no port grpc',
      'Ingress/edge/a/0 ok',
      'Ingress/edge/a/default BackendNotFound: spec.defaultBackend.service.name: Service edge/missing does not exist',
    ]);
  });
});
