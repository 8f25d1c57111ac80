// The gateway translation, pure: route precedence with every tie-break, hostname intersection,
// allowedRoutes, listener conflicts, certificates and each rejection reason (Ingress:
// ingress-translate.test.ts).
import { grpcRouteSchema, parseConfig, referenceGrantSchema } from '@weft/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../test-support/certs.js';
import {
  backend,
  cls,
  GW,
  gateway,
  HTTP,
  parentConditions,
  route,
  routeNames,
  secret,
  statusOf,
  translate,
} from '../test-support/gateway-inputs.js';

let pki: TestPki;
beforeAll(() => {
  pki = createTestPki();
});
afterAll(() => pki.cleanup());

describe('route precedence', () => {
  it('orders Exact path over the longest PathPrefix, then method, headers and query matches', () => {
    const t = translate({
      httpRoutes: [
        route('a', {
          rules: [
            { matches: [{ path: { type: 'PathPrefix', value: '/' } }], ...backend('web') },
            { matches: [{ path: { type: 'PathPrefix', value: '/api' } }], ...backend('api') },
            { matches: [{ path: { type: 'Exact', value: '/api' } }], ...backend('api') },
            { matches: [{ path: { type: 'PathPrefix', value: '/api' }, method: 'POST' }], ...backend('api') },
            {
              matches: [
                { path: { type: 'PathPrefix', value: '/api' }, headers: [{ name: 'x', value: '1' }] },
              ],
              ...backend('api'),
            },
            {
              matches: [
                {
                  path: { type: 'PathPrefix', value: '/api' },
                  headers: [{ name: 'x', value: '1' }],
                  queryParams: [{ name: 'q', value: '1' }],
                },
              ],
              ...backend('api'),
            },
          ],
        }),
      ],
    });
    expect(routeNames(t)).toEqual([
      'HTTPRoute/edge/a/2', // Exact
      'HTTPRoute/edge/a/3', // prefix /api + method
      'HTTPRoute/edge/a/5', // prefix /api + 1 header + 1 query
      'HTTPRoute/edge/a/4', // prefix /api + 1 header
      'HTTPRoute/edge/a/1', // prefix /api
      'HTTPRoute/edge/a/0', // prefix /
    ]);
  });

  it('breaks ties across routes by the oldest creationTimestamp, then "{namespace}/{name}", then rule order', () => {
    const same = {
      parentRefs: [{ name: 'gw', namespace: 'edge' }],
      rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/x' } }], ...backend('web') }],
    };
    const t = translate({
      gateways: [gateway('gw', [{ ...HTTP, allowedRoutes: { namespaces: { from: 'All' } } }])],
      httpRoutes: [
        route('young', same, { created: '2026-02-01T00:00:00Z' }),
        route('b', same, { created: '2026-01-01T00:00:00Z' }),
        route('a', same, { ns: 'zeta', created: '2026-01-01T00:00:00Z' }),
        route('z', same, { ns: 'alpha', created: '2026-01-01T00:00:00Z' }),
        route(
          'two',
          {
            parentRefs: [{ name: 'gw', namespace: 'edge' }],
            rules: [same.rules[0], same.rules[0]],
          },
          { ns: 'edge', created: '2026-03-01T00:00:00Z' },
        ),
      ],
    });
    expect(routeNames(t)).toEqual([
      'HTTPRoute/alpha/z/0',
      'HTTPRoute/edge/b/0',
      'HTTPRoute/zeta/a/0',
      'HTTPRoute/edge/young/0',
      'HTTPRoute/edge/two/0',
      'HTTPRoute/edge/two/1',
    ]);
  });

  it('puts the most specific hostname first: exact, then the longer wildcard, then any', () => {
    const rule = { rules: [{ matches: [{ path: { type: 'Exact', value: '/exact' } }], ...backend('web') }] };
    const t = translate({
      httpRoutes: [
        route('any', rule),
        route('wild', { hostnames: ['*.example.com'], rules: [{ ...backend('web') }] }),
        route('deeper', { hostnames: ['*.a.example.com'], rules: [{ ...backend('web') }] }),
        route('exact', { hostnames: ['www.example.com'], rules: [{ ...backend('web') }] }),
      ],
    });
    expect(routeNames(t)).toEqual([
      'HTTPRoute/edge/exact/0@www.example.com',
      'HTTPRoute/edge/deeper/0@*.a.example.com',
      'HTTPRoute/edge/wild/0@*.example.com',
      'HTTPRoute/edge/any/0',
    ]);
  });

  it('orders GRPCRoute rules by the longest service, then method, then header matches', () => {
    const grpc = parseConfig(
      grpcRouteSchema,
      {
        apiVersion: GW,
        kind: 'GRPCRoute',
        metadata: { name: 'g', namespace: 'edge' },
        spec: {
          parentRefs: [{ name: 'gw' }],
          rules: [
            { matches: [{ method: { service: 'shop.Cart' } }], ...backend('api') },
            { matches: [{ method: { service: 'shop.Cart', method: 'Add' } }], ...backend('api') },
            {
              matches: [
                { method: { service: 'shop.Cart', method: 'Add' }, headers: [{ name: 'v', value: '2' }] },
              ],
              ...backend('v2'),
            },
            { matches: [{ method: { service: 'shop.CartV2' } }], ...backend('api') },
          ],
        },
      },
      't',
    );
    const t = translate({ grpcRoutes: [grpc] });
    expect(routeNames(t)).toEqual([
      'GRPCRoute/edge/g/3',
      'GRPCRoute/edge/g/2',
      'GRPCRoute/edge/g/1',
      'GRPCRoute/edge/g/0',
    ]);
    const routes = t.configs.get('weft')?.listeners?.[0]?.routes ?? [];
    expect(routes[1]?.matches?.[0]?.path).toEqual({ exact: '/shop.Cart/Add' });
    expect(routes[3]?.matches?.[0]?.path).toEqual({ prefix: '/shop.Cart/' });
    expect(routes.every((r) => r.grpc)).toBe(true);
  });
});

describe('HTTPRoute and GRPCRoute on one listener', () => {
  it('accepts only the older of two with intersecting hostnames; others coexist', () => {
    const grpc = (name: string, created: string, hostnames: string[]) =>
      parseConfig(
        grpcRouteSchema,
        {
          apiVersion: GW,
          kind: 'GRPCRoute',
          metadata: { name, namespace: 'edge', creationTimestamp: created },
          spec: { parentRefs: [{ name: 'gw' }], hostnames, rules: [backend('api')] },
        },
        't',
      );
    const t = translate({
      httpRoutes: [
        route(
          'web',
          { hostnames: ['www.example.com'], rules: [backend('web')] },
          { created: '2026-01-02T00:00:00Z' },
        ),
      ],
      grpcRoutes: [
        grpc('older', '2026-01-01T00:00:00Z', ['*.example.com']),
        grpc('apart', '2026-01-03T00:00:00Z', ['rpc.example.net']),
      ],
    });
    expect(parentConditions(t, 'web')?.[0]?.Accepted).toBe('False/Conflicted');
    expect(parentConditions(t, 'older', 'GRPCRoute')?.[0]?.Accepted).toBe('True/Accepted');
    expect(parentConditions(t, 'apart', 'GRPCRoute')?.[0]?.Accepted).toBe('True/Accepted');
    expect(routeNames(t)).toEqual([
      'GRPCRoute/edge/apart/0@rpc.example.net',
      'GRPCRoute/edge/older/0@*.example.com',
    ]);
  });
});

describe('hostnames and allowedRoutes', () => {
  it('intersects listener and route hostnames, and rejects a route with none in common', () => {
    const t = translate({
      gateways: [gateway('gw', [{ ...HTTP, hostname: '*.example.com' }])],
      httpRoutes: [
        route('narrow', { hostnames: ['shop.example.com', 'shop.example.net'], rules: [backend('web')] }),
        route('wide', { hostnames: ['*.com'], rules: [backend('web')] }),
        route('none', { rules: [backend('web')] }),
        route('elsewhere', { hostnames: ['example.net'], rules: [backend('web')] }),
      ],
    });
    expect(routeNames(t)).toEqual([
      'HTTPRoute/edge/narrow/0@shop.example.com',
      'HTTPRoute/edge/none/0@*.example.com',
      'HTTPRoute/edge/wide/0@*.example.com',
    ]);
    expect(parentConditions(t, 'elsewhere')).toEqual([
      { Accepted: 'False/NoMatchingListenerHostname', ResolvedRefs: 'True/ResolvedRefs' },
    ]);
    const gw = statusOf(t, 'Gateway', 'gw');
    expect(gw?.kind === 'Gateway' && gw.listeners[0]?.attachedRoutes).toBe(3);
  });

  it('allows routes from the same namespace by default, from all, or by namespace selector', () => {
    const r = (ns: string) =>
      route(`r-${ns}`, { parentRefs: [{ name: 'gw', namespace: 'edge' }], rules: [backend('cart')] }, { ns });
    const of = (from: unknown) =>
      translate({
        gateways: [
          gateway('gw', [
            { ...HTTP, ...(from === undefined ? {} : { allowedRoutes: { namespaces: from } }) },
          ]),
        ],
        httpRoutes: [r('shop'), r('other')],
      });
    expect(parentConditions(of(undefined), 'r-shop')?.[0]?.Accepted).toBe('False/NotAllowedByListeners');
    expect(parentConditions(of({ from: 'All' }), 'r-other')?.[0]?.Accepted).toBe('True/Accepted');
    const sel = of({ from: 'Selector', selector: { matchLabels: { team: 'shop' } } });
    expect(parentConditions(sel, 'r-shop')?.[0]?.Accepted).toBe('True/Accepted');
    expect(parentConditions(sel, 'r-other')?.[0]?.Accepted).toBe('False/NotAllowedByListeners');
  });

  it('rejects a route kind the listener does not allow, and reports unsupported kinds on the listener', () => {
    const t = translate({
      gateways: [
        gateway('gw', [{ ...HTTP, allowedRoutes: { kinds: [{ kind: 'GRPCRoute' }, { kind: 'TCPRoute' }] } }]),
      ],
      httpRoutes: [route('web', { rules: [backend('web')] })],
    });
    expect(parentConditions(t, 'web')?.[0]?.Accepted).toBe('False/NotAllowedByListeners');
    const gw = statusOf(t, 'Gateway', 'gw');
    expect(gw?.kind === 'Gateway' && gw.listeners[0]).toMatchObject({
      supportedKinds: [{ group: 'gateway.networking.k8s.io', kind: 'GRPCRoute' }],
      conditions: expect.arrayContaining([
        expect.objectContaining({ type: 'ResolvedRefs', status: 'False', reason: 'InvalidRouteKinds' }),
      ]),
    });
  });

  it('attaches to one listener by sectionName and port, and says NoMatchingParent for a missing one', () => {
    const t = translate({
      gateways: [gateway('gw', [HTTP, { name: 'alt', port: 8080, protocol: 'HTTP' }])],
      httpRoutes: [
        route('by-section', { parentRefs: [{ name: 'gw', sectionName: 'alt' }], rules: [backend('web')] }),
        route('by-port', { parentRefs: [{ name: 'gw', port: 8080 }], rules: [backend('web')] }),
        route('missing', { parentRefs: [{ name: 'gw', sectionName: 'nope' }], rules: [backend('web')] }),
        route('foreign', { parentRefs: [{ name: 'someone-elses' }], rules: [backend('web')] }),
      ],
    });
    expect(routeNames(t, 0)).toEqual([]);
    expect(routeNames(t, 1)).toEqual(['HTTPRoute/edge/by-port/0', 'HTTPRoute/edge/by-section/0']);
    expect(parentConditions(t, 'missing')?.[0]?.Accepted).toBe('False/NoMatchingParent');
    // A Gateway weft does not own gets no parent status from weft.
    expect(statusOf(t, 'HTTPRoute', 'foreign')).toBeUndefined();
  });
});

describe('rejections and references', () => {
  it('rejects a route whose regular expression is over the cap; the other routes keep serving', () => {
    const t = translate({
      httpRoutes: [
        route('evil', {
          rules: [{ matches: [{ path: { type: 'RegularExpression', value: '(a+)+$' } }], ...backend('web') }],
        }),
        route('long', {
          rules: [
            {
              matches: [{ headers: [{ type: 'RegularExpression', name: 'x', value: 'a'.repeat(1025) }] }],
              ...backend('web'),
            },
          ],
        }),
        route('ok', { rules: [backend('web')] }),
      ],
    });
    expect(routeNames(t)).toEqual(['HTTPRoute/edge/ok/0']);
    expect(parentConditions(t, 'evil')?.[0]?.Accepted).toBe('False/UnsupportedValue');
    expect(parentConditions(t, 'long')?.[0]?.Accepted).toBe('False/UnsupportedValue');
  });

  it('records a missing Service, a foreign kind and a cross-namespace ref without a ReferenceGrant; a grant allows it', () => {
    const routes = [
      route('missing', { rules: [backend('nope')] }),
      route('kind', {
        rules: [{ backendRefs: [{ group: 'example.com', kind: 'Bucket', name: 'b', port: 80 }] }],
      }),
      route('cross', { rules: [{ backendRefs: [{ name: 'cart', namespace: 'shop', port: 80 }] }] }),
    ];
    const t = translate({ httpRoutes: routes });
    expect(parentConditions(t, 'missing')).toEqual([
      { Accepted: 'True/Accepted', ResolvedRefs: 'False/BackendNotFound' },
    ]);
    expect(parentConditions(t, 'kind')?.[0]?.ResolvedRefs).toBe('False/InvalidKind');
    expect(parentConditions(t, 'cross')?.[0]?.ResolvedRefs).toBe('False/RefNotPermitted');
    const routesOut = t.configs.get('weft')?.listeners?.[0]?.routes ?? [];
    const cross = routesOut.find((r) => r.name === 'HTTPRoute/edge/cross/0');
    expect(cross?.backends?.[0]).toMatchObject({
      authority: 'cart.shop.svc.cluster.local:80',
      unresolvedReason: expect.stringContaining('RefNotPermitted'),
    });
    const grant = parseConfig(
      referenceGrantSchema,
      {
        apiVersion: 'gateway.networking.k8s.io/v1beta1',
        kind: 'ReferenceGrant',
        metadata: { name: 'from-edge', namespace: 'shop' },
        spec: {
          from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'edge' }],
          to: [{ group: '', kind: 'Service' }],
        },
      },
      't',
    );
    const granted = translate({ httpRoutes: routes, grants: [grant] });
    expect(parentConditions(granted, 'cross')?.[0]?.ResolvedRefs).toBe('True/ResolvedRefs');
    const ok = granted.configs
      .get('weft')
      ?.listeners?.[0]?.routes?.find((r) => r.name === 'HTTPRoute/edge/cross/0');
    expect(ok?.backends?.[0]).toEqual({ authority: 'cart.shop.svc.cluster.local:80', weight: 1 });
  });

  it('translates filters, weighted backends and timeouts', () => {
    const t = translate({
      httpRoutes: [
        route('f', {
          rules: [
            {
              matches: [{ path: { type: 'PathPrefix', value: '/old' } }],
              filters: [
                {
                  type: 'RequestHeaderModifier',
                  requestHeaderModifier: { set: [{ name: 'X-A', value: '1' }], remove: ['X-B'] },
                },
                {
                  type: 'URLRewrite',
                  urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/new' } },
                },
                {
                  type: 'RequestMirror',
                  requestMirror: { backendRef: { name: 'v2', port: 80 }, percent: 10 },
                },
              ],
              backendRefs: [
                { name: 'v1', port: 80, weight: 90 },
                {
                  name: 'v2',
                  port: 80,
                  weight: 10,
                  filters: [
                    {
                      type: 'ResponseHeaderModifier',
                      responseHeaderModifier: { add: [{ name: 'x-v', value: '2' }] },
                    },
                  ],
                },
              ],
              timeouts: { request: '10s', backendRequest: '2s' },
            },
            {
              matches: [{ path: { type: 'Exact', value: '/http' } }],
              filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', statusCode: 301 } }],
            },
          ],
        }),
      ],
    });
    const [redirect, main] = t.configs.get('weft')?.listeners?.[0]?.routes ?? [];
    expect(redirect?.filters).toEqual([
      { requestRedirect: { scheme: 'https', hostname: '', port: 0, statusCode: 301 } },
    ]);
    expect(main).toMatchObject({
      filters: [
        { requestHeaderModifier: { set: [{ name: 'x-a', value: '1' }], add: [], remove: ['x-b'] } },
        { urlRewrite: { hostname: '', path: { replacePrefixMatch: '/new' } } },
        { requestMirror: { authority: 'v2.edge.svc.cluster.local:80', numerator: 10, denominator: 100 } },
      ],
      backends: [
        { authority: 'v1.edge.svc.cluster.local:80', weight: 90 },
        {
          authority: 'v2.edge.svc.cluster.local:80',
          weight: 10,
          filters: [{ responseHeaderModifier: { set: [], add: [{ name: 'x-v', value: '2' }], remove: [] } }],
        },
      ],
      requestTimeout: { seconds: '10', nanos: 0 },
      backendRequestTimeout: { seconds: '2', nanos: 0 },
    });
  });

  it('refuses a header modifier on Host or a framing header as UnsupportedValue; other routes keep going', () => {
    const modifier = (type: 'RequestHeaderModifier' | 'ResponseHeaderModifier', name: string) => ({
      type,
      [type === 'RequestHeaderModifier' ? 'requestHeaderModifier' : 'responseHeaderModifier']: {
        set: [{ name, value: '1' }],
      },
    });
    const t = translate({
      httpRoutes: [
        route('host', {
          hostnames: ['a.example.com'],
          rules: [{ filters: [modifier('RequestHeaderModifier', 'Host')], ...backend('web') }],
        }),
        route('length', {
          hostnames: ['b.example.com'],
          rules: [{ filters: [modifier('ResponseHeaderModifier', 'Content-Length')], ...backend('web') }],
        }),
        route('fine', {
          hostnames: ['c.example.com'],
          rules: [{ filters: [modifier('ResponseHeaderModifier', 'x-ok')], ...backend('web') }],
        }),
      ],
    });
    expect(parentConditions(t, 'host')?.[0]?.Accepted).toBe('False/UnsupportedValue');
    expect(parentConditions(t, 'length')?.[0]?.Accepted).toBe('False/UnsupportedValue');
    expect(JSON.stringify(statusOf(t, 'HTTPRoute', 'length'))).toContain(
      'responseHeaderModifier.set[0].name: content-length cannot be set by a header modifier',
    );
    expect(parentConditions(t, 'fine')?.[0]?.Accepted).toBe('True/Accepted');
    const routes = t.configs.get('weft')?.listeners?.flatMap((l) => l.routes ?? []) ?? [];
    expect(routes.map((r) => r.name?.split('/')[2])).toEqual(['fine']);
  });

  it('rejects an unsupported filter as UnsupportedValue', () => {
    const t = translate({
      httpRoutes: [route('ext', { rules: [{ filters: [{ type: 'ExtensionRef' }], ...backend('web') }] })],
    });
    expect(parentConditions(t, 'ext')?.[0]?.Accepted).toBe('False/UnsupportedValue');
  });
});

describe('listeners', () => {
  it('gives a conflicting listener to the older Gateway; the later one reports Conflicted', () => {
    const t = translate({
      gateways: [
        gateway('late', [HTTP, { name: 'tls', port: 80, protocol: 'HTTPS', hostname: 'a.example.com' }], {
          created: '2026-02-01T00:00:00Z',
        }),
        gateway('gw', [HTTP], { created: '2026-01-01T00:00:00Z' }),
      ],
      httpRoutes: [route('web', { rules: [backend('web')] })],
    });
    expect(t.configs.get('weft')?.listeners?.map((l) => l.name)).toEqual(['edge/gw/http']);
    const late = statusOf(t, 'Gateway', 'late');
    if (late?.kind !== 'Gateway') throw new Error('no status');
    const conflicted = late.listeners.map((l) => l.conditions.find((c) => c.type === 'Conflicted'));
    expect(conflicted.map((c) => `${c?.status}/${c?.reason}`)).toEqual([
      'True/HostnameConflict',
      'True/ProtocolConflict',
    ]);
    expect(late.conditions.find((c) => c.type === 'Programmed')?.status).toBe('False');
  });

  it('serves HTTPS with a good certificate, and reports a bad one as InvalidCertificateRef while the rest serves', () => {
    const other = pki.client('spiffe://x/y');
    const secrets = [
      secret('edge', 'good', pki.server.cert, pki.server.key),
      secret('edge', 'mismatch', pki.server.cert, other.key),
      secret('edge', 'garbage', Buffer.from('not pem'), pki.server.key),
    ];
    const t = translate({
      gateways: [
        gateway('gw', [
          HTTP,
          {
            name: 'good',
            port: 443,
            protocol: 'HTTPS',
            hostname: 'a.example.com',
            tls: { certificateRefs: [{ name: 'good' }] },
          },
          {
            name: 'bad',
            port: 443,
            protocol: 'HTTPS',
            hostname: 'b.example.com',
            tls: { certificateRefs: [{ name: 'mismatch' }] },
          },
          {
            name: 'ugly',
            port: 443,
            protocol: 'HTTPS',
            hostname: 'c.example.com',
            tls: { certificateRefs: [{ name: 'garbage' }] },
          },
          {
            name: 'far',
            port: 443,
            protocol: 'HTTPS',
            hostname: 'd.example.com',
            tls: { certificateRefs: [{ name: 'good', namespace: 'shop' }] },
          },
        ]),
      ],
      secret: (ns, name) => secrets.find((s) => s.metadata.namespace === ns && s.metadata.name === name),
    });
    const listeners = t.configs.get('weft')?.listeners ?? [];
    expect(listeners.map((l) => l.name)).toEqual(['edge/gw/http', 'edge/gw/good']);
    expect(listeners[1]?.certificates?.[0]).toMatchObject({
      name: 'edge/good',
      certificateChainPem: pki.server.cert.toString(),
    });
    const gw = statusOf(t, 'Gateway', 'gw');
    if (gw?.kind !== 'Gateway') throw new Error('no status');
    const refs = gw.listeners.map((l) => l.conditions.find((c) => c.type === 'ResolvedRefs'));
    expect(refs.map((c) => `${c?.status}/${c?.reason}`)).toEqual([
      'True/ResolvedRefs',
      'True/ResolvedRefs',
      'False/InvalidCertificateRef',
      'False/InvalidCertificateRef',
      'False/RefNotPermitted',
    ]);
    expect(refs[2]?.message).toContain('does not match');
    expect(JSON.stringify(t.statuses)).not.toContain('PRIVATE KEY');
  });

  it('reports the gateway addresses on every Gateway when known', () => {
    const t = translate({ addresses: [{ type: 'IPAddress', value: '203.0.113.7' }] });
    const gw = statusOf(t, 'Gateway', 'gw');
    expect(gw?.kind === 'Gateway' && gw.addresses).toEqual([{ type: 'IPAddress', value: '203.0.113.7' }]);
  });

  it('accepts weft classes only and reports them Accepted', () => {
    const t = translate({
      gatewayClasses: [cls(), cls('other', 'example.com/gateway')],
      gateways: [gateway('gw', [HTTP]), gateway('x', [HTTP], { cls: 'other' })],
    });
    expect(t.statuses.filter((s) => s.ref.kind === 'GatewayClass').map((s) => s.ref.name)).toEqual(['weft']);
    expect(statusOf(t, 'Gateway', 'x')).toBeUndefined();
  });
});
