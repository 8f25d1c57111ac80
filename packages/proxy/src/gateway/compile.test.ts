import { routeRequest } from '@weft/core';
import { describe, expect, it } from 'vitest';
import { pickCertificate } from './certificates.js';
import { compileGateway } from './compile.js';
import { parseGatewayConfigJson } from './config-json.js';
import { selectRoute } from './select.js';
import { createTestCa } from './test-certificates.js';

const ca = createTestCa();

function compileJson(json: unknown) {
  return compileGateway(parseGatewayConfigJson(JSON.stringify(json)));
}

const route = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  backends: [
    { authority: `${name.toLowerCase().replace(/[^a-z0-9]/g, '')}.shop.svc.cluster.local:80`, weight: 1 },
  ],
  ...extra,
});

describe('GatewayConfig from proto3 JSON', () => {
  it('reads durations, enums and oneofs into the pushed shape', () => {
    const c = parseGatewayConfigJson(
      JSON.stringify({
        listeners: [
          {
            name: 'shop/gw/http',
            port: 80,
            protocol: 'GATEWAY_LISTENER_PROTOCOL_HTTP',
            routes: [
              route('HTTPRoute/shop/web/0', {
                matches: [{ path: { prefix: '/api' }, headers: [{ name: 'env', exact: 'canary' }] }],
                request_timeout: '1.5s',
                filters: [{ requestRedirect: { scheme: 'https', statusCode: 301 } }],
              }),
            ],
          },
        ],
      }),
    );
    const r = c.listeners[0]!.routes[0]!;
    expect(c.listeners[0]!.protocol).toBe('GATEWAY_LISTENER_PROTOCOL_HTTP');
    expect(r.requestTimeout).toEqual({ seconds: '1', nanos: 500_000_000 });
    expect(r.matches[0]!.path).toMatchObject({ kind: 'prefix', prefix: '/api' });
    expect(r.filters[0]).toMatchObject({
      kind: 'requestRedirect',
      requestRedirect: { scheme: 'https', statusCode: 301 },
    });
    expect(r.backendRequestTimeout).toBeNull();
  });

  it('names unknown fields and bad values by path', () => {
    expect(() => parseGatewayConfigJson('{"listeners":[{"nmae":"x"}]}')).toThrow(
      /listeners\[0\]\.nmae: unknown field/,
    );
    expect(() => parseGatewayConfigJson('{"listeners":[{"routes":[{"requestTimeout":"soon"}]}]}')).toThrow(
      /listeners\[0\]\.routes\[0\]\.requestTimeout: a duration/,
    );
    expect(() => parseGatewayConfigJson('not json')).toThrow(/not JSON/);
  });
});

describe('compileGateway', () => {
  const http = (name: string, port: number, hostname: string, routes: unknown[]) => ({
    name,
    port,
    protocol: 'GATEWAY_LISTENER_PROTOCOL_HTTP',
    hostname,
    routes,
  });

  it.each([
    [
      'a port both HTTP and HTTPS',
      [
        http('a', 80, '', []),
        {
          name: 'b',
          port: 80,
          protocol: 'GATEWAY_LISTENER_PROTOCOL_HTTPS',
          hostname: 'x.example',
          routes: [],
        },
      ],
      /port 80 is both HTTP and HTTPS/,
    ],
    [
      'two listeners with one hostname on a port',
      [http('a', 80, 'x.example', []), http('b', 80, 'x.example', [])],
      /another listener/,
    ],
    [
      'an unsafe regex',
      [http('a', 80, '', [route('r', { matches: [{ path: { regex: '(a+)+$' } }] })])],
      /matches\[0\]/,
    ],
    [
      'ReplacePrefixMatch without a prefix match',
      [
        http('a', 80, '', [
          route('r', {
            matches: [{ path: { exact: '/x' } }],
            filters: [{ urlRewrite: { path: { replacePrefixMatch: '/y' } } }],
          }),
        ]),
      ],
      /ReplacePrefixMatch needs/,
    ],
    [
      'an HTTPS listener without a certificate',
      [{ name: 'a', port: 443, protocol: 'GATEWAY_LISTENER_PROTOCOL_HTTPS' }],
      /needs a certificate/,
    ],
    [
      'a bad backend authority',
      [http('a', 80, '', [{ name: 'r', backends: [{ authority: 'no port', weight: 1 }] }])],
      /not a mesh authority/,
    ],
    [
      'a mirror fraction above 1',
      [
        http('a', 80, '', [
          route('r', { filters: [{ requestMirror: { authority: 'm.x:80', numerator: 3, denominator: 2 } }] }),
        ]),
      ],
      /fraction 3\/2/,
    ],
    [
      'a header with CRLF',
      [
        http('a', 80, '', [
          route('r', { filters: [{ requestHeaderModifier: { set: [{ name: 'x', value: 'a\r\nb' }] } }] }),
        ]),
      ],
      /invalid header value/,
    ],
    [
      'a response modifier that sets a framing header',
      [
        http('a', 80, '', [
          route('r', {
            filters: [{ responseHeaderModifier: { add: [{ name: 'Content-Length', value: '0' }] } }],
          }),
        ]),
      ],
      /responseHeaderModifier\.add\[0\]\.name: content-length cannot be modified here/,
    ],
    [
      'a request modifier that sets Host',
      [
        http('a', 80, '', [
          route('r', { filters: [{ requestHeaderModifier: { set: [{ name: 'host', value: 'x' }] } }] }),
        ]),
      ],
      /host cannot be modified here/,
    ],
  ])('rejects %s', (_what, listeners, error) => {
    expect(() => compileJson({ listeners })).toThrow(error);
  });

  it('rejects a key that does not match its certificate, without printing the key', () => {
    const a = ca.issue(['a.example']);
    const b = ca.issue(['b.example']);
    const listeners = [
      {
        name: 'tls',
        port: 443,
        protocol: 'GATEWAY_LISTENER_PROTOCOL_HTTPS',
        certificates: [{ name: 'shop/a', certificateChainPem: a.chainPem, privateKeyPem: b.keyPem }],
      },
    ];
    let message = '';
    try {
      compileJson({ listeners });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/shop\/a.*does not match/);
    expect(message).not.toContain('PRIVATE KEY');
    const garbage = [
      {
        ...listeners[0],
        certificates: [{ name: 'shop/a', certificateChainPem: a.chainPem, privateKeyPem: 'secret-material' }],
      },
    ];
    expect(() => compileJson({ listeners: garbage })).toThrow(
      /^(?!.*secret-material).*not a PEM private key/,
    );
  });

  it('selects the listener by Host (exact over wildcard over any) and the first matching route', () => {
    const g = compileJson({
      listeners: [
        http('any', 80, '', [route('any-route')]),
        http('wild', 80, '*.example.com', [route('wild-route')]),
        http('exact', 80, 'api.example.com', [
          route('exact-header', {
            matches: [{ path: { prefix: '/v1' }, headers: [{ name: 'env', exact: 'canary' }] }],
          }),
          route('exact-v1', { matches: [{ path: { prefix: '/v1' } }] }),
          route('exact-get', {
            matches: [{ method: 'GET', queryParams: [{ name: 'q', regex: '^[0-9]+$' }] }],
          }),
        ]),
      ],
    });
    const port = g.ports.get(80)!;
    const pick = (host: string, method: string, path: string, headers: Record<string, string> = {}) => {
      const s = selectRoute(port, host, routeRequest(method, path, headers));
      return s.type === 'route' ? s.route.name : s.type;
    };
    expect(pick('api.example.com', 'GET', '/v1/x', { env: 'canary' })).toBe('exact-header');
    expect(pick('api.example.com', 'GET', '/v1/x')).toBe('exact-v1');
    expect(pick('api.example.com', 'GET', '/v1x')).toBe('no-route');
    expect(pick('api.example.com', 'GET', '/other?q=12')).toBe('exact-get');
    expect(pick('api.example.com', 'POST', '/other?q=12')).toBe('no-route');
    expect(pick('a.b.example.com', 'GET', '/')).toBe('wild-route');
    expect(pick('example.com', 'GET', '/')).toBe('any-route');
  });

  it('answers no-listener when no listener on the port serves the host', () => {
    const g = compileJson({ listeners: [http('only', 80, 'shop.example', [route('r')])] });
    expect(selectRoute(g.ports.get(80)!, 'other.example', routeRequest('GET', '/')).type).toBe('no-listener');
  });

  it('picks certificates by SNI: exact listener over wildcard, default without SNI', () => {
    const exact = ca.issue(['api.example.com']);
    const wild = ca.issue(['*.example.com']);
    const cert = (name: string, c: { chainPem: string; keyPem: string }) => ({
      name,
      certificateChainPem: c.chainPem,
      privateKeyPem: c.keyPem,
    });
    const g = compileJson({
      listeners: [
        {
          name: 'w',
          port: 443,
          protocol: 'GATEWAY_LISTENER_PROTOCOL_HTTPS',
          hostname: '*.example.com',
          certificates: [cert('s/wild', wild)],
        },
        {
          name: 'e',
          port: 443,
          protocol: 'GATEWAY_LISTENER_PROTOCOL_HTTPS',
          hostname: 'api.example.com',
          certificates: [cert('s/exact', exact)],
        },
      ],
    });
    const port = g.ports.get(443)!;
    expect(pickCertificate(port, 'api.example.com')?.name).toBe('s/exact');
    expect(pickCertificate(port, 'www.example.com')?.name).toBe('s/wild');
    expect(pickCertificate(port, '')?.name).toBe('s/wild');
    expect(pickCertificate(port, 'unrelated.test')?.name).toBe('s/wild');
  });
});
