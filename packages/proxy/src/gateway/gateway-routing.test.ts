/**
 * The Gateway API's documented routing examples through a real gateway (in process, real
 * sockets) in front of real HTTP apps: traffic splitting, header matching, HTTPS redirect,
 * rewrites, mirroring, header modifiers; plus the forwarded headers and the gateway's own
 * answers (404 no listener/route, 500 no backend).
 */
import http from 'node:http';
import http2 from 'node:http2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EchoApp, type GatewayBed, metricValue, request, startGatewayBed } from './test-harness.js';

const APPS = ['foo1', 'foo2', 'foo3', 'canary', 'prod', 'web', 'shadow'] as const;
type Apps = GatewayBed<(typeof APPS)[number]>['apps'];
let bed: GatewayBed<(typeof APPS)[number]>;

const HTTP = 'GATEWAY_LISTENER_PROTOCOL_HTTP';

function listener(name: string, hostname: string, routes: unknown[], port = 80) {
  return { name: `test/gw/${name}`, port, protocol: HTTP, hostname, routes };
}

function backend(app: EchoApp, weight = 1, extra: Record<string, unknown> = {}) {
  return { authority: app.authority, weight, ...extra };
}

function config(apps: Apps) {
  const { foo1, foo2, foo3, canary, prod, web, shadow } = apps;
  return {
    listeners: [
      // Gateway API "Traffic splitting": foo-v1 90, foo-v2 10 (and a weight-0 backend never picked).
      listener('split', 'split.example.com', [
        {
          name: 'HTTPRoute/test/foo/0',
          backends: [backend(foo1, 90), backend(foo2, 10), backend(foo3, 0)],
        },
      ]),
      // Gateway API "HTTP header matching": env: canary goes to the canary.
      listener('headers', 'match.example.com', [
        {
          name: 'HTTPRoute/test/bar/0',
          matches: [{ headers: [{ name: 'env', exact: 'canary' }] }],
          backends: [backend(canary)],
        },
        { name: 'HTTPRoute/test/bar/1', backends: [backend(prod)] },
      ]),
      // Gateway API "HTTP redirects and rewrites".
      listener('redirect', 'redirect.example.com', [
        {
          name: 'HTTPRoute/test/http-filter-redirect/0',
          filters: [
            { requestRedirect: { scheme: 'https', statusCode: 301 } },
            // After the redirect in the list: the rule's response modifiers apply to its answer all the same.
            {
              responseHeaderModifier: {
                set: [{ name: 'strict-transport-security', value: 'max-age=31536000' }],
                remove: ['content-type'],
              },
            },
          ],
        },
      ]),
      listener('rewrite', 'rewrite.example.com', [
        {
          name: 'HTTPRoute/test/rewrite/0',
          matches: [{ path: { prefix: '/cardamom' } }],
          filters: [{ urlRewrite: { hostname: 'elsewhere.example', path: { replacePrefixMatch: '/xyz' } } }],
          backends: [backend(web)],
        },
        {
          name: 'HTTPRoute/test/rewrite/1',
          matches: [{ path: { prefix: '/full' } }],
          filters: [{ urlRewrite: { path: { replaceFullPath: '/one' } } }],
          backends: [backend(web)],
        },
      ]),
      // Gateway API "HTTP request mirroring".
      listener('mirror', 'mirror.example.com', [
        {
          name: 'HTTPRoute/test/mirror/0',
          filters: [{ requestMirror: { authority: shadow.authority } }],
          backends: [backend(web)],
        },
      ]),
      // Gateway API "HTTP header modifiers", request and response.
      listener('modify', 'modify.example.com', [
        {
          name: 'HTTPRoute/test/modify/0',
          filters: [
            {
              requestHeaderModifier: {
                set: [{ name: 'my-header', value: 'bar' }],
                add: [{ name: 'added', value: 'yes' }],
                remove: ['x-drop'],
              },
            },
            { responseHeaderModifier: { set: [{ name: 'x-header-set', value: 'set' }], remove: ['x-app'] } },
          ],
          backends: [backend(web)],
        },
      ]),
      listener('broken', 'broken.example.com', [
        {
          name: 'HTTPRoute/test/zero/0',
          matches: [{ path: { prefix: '/zero' } }],
          backends: [backend(web, 0)],
        },
        {
          name: 'HTTPRoute/test/missing/0',
          filters: [{ responseHeaderModifier: { add: [{ name: 'x-route', value: 'missing' }] } }],
          backends: [
            {
              authority: 'missing.test.svc.cluster.local:80',
              weight: 1,
              unresolvedReason: 'Service test/missing not found',
            },
          ],
        },
      ]),
      // Another port, so the redirect's listener port rules can be seen.
      listener(
        'alt',
        '',
        [{ name: 'HTTPRoute/test/alt/0', filters: [{ requestRedirect: { hostname: 'other.example' } }] }],
        8080,
      ),
    ],
  };
}

beforeAll(async () => {
  bed = await startGatewayBed(APPS, config);
}, 30_000);

afterAll(() => bed?.stop());

const body = (r: { body: string }) =>
  JSON.parse(r.body) as { app: string; url: string; headers: Record<string, string | undefined> };

describe('gateway routing (Gateway API examples)', () => {
  it('splits traffic by weight (90/10; weight 0 never picked)', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    const n = 2000;
    const counts: Record<string, number> = {};
    const port = bed.gw.port(80);
    for (let i = 0; i < n; i += 50) {
      const batch = await Promise.all(
        Array.from({ length: 50 }, () => request(port, { headers: { host: 'split.example.com' }, agent })),
      );
      for (const r of batch) {
        expect(r.status).toBe(200);
        const app = body(r).app;
        counts[app] = (counts[app] ?? 0) + 1;
      }
    }
    agent.destroy();
    // Binomial(2000, 0.1): mean 200, sd 13.4; +-5 sd is [133, 267] (a false failure ~1 in 1.7 million).
    expect(counts.foo2 ?? 0).toBeGreaterThanOrEqual(133);
    expect(counts.foo2 ?? 0).toBeLessThanOrEqual(267);
    expect(counts.foo1).toBe(n - (counts.foo2 ?? 0));
    expect(counts.foo3).toBeUndefined();
  }, 60_000);

  it('matches on headers', async () => {
    const port = bed.gw.port(80);
    expect(body(await request(port, { headers: { host: 'match.example.com', env: 'canary' } })).app).toBe(
      'canary',
    );
    expect(body(await request(port, { headers: { host: 'match.example.com', env: 'prod' } })).app).toBe(
      'prod',
    );
    expect(body(await request(port, { headers: { host: 'match.example.com' } })).app).toBe('prod');
  });

  it('redirects HTTP to HTTPS with 301 and the default port left out', async () => {
    const r = await request(bed.gw.port(80), { path: '/a/b?c=d', headers: { host: 'redirect.example.com' } });
    expect(r.status).toBe(301);
    expect(r.headers.location).toBe('https://redirect.example.com/a/b?c=d');
    // The rule's response header modifiers apply to the gateway's own answer, as to a backend's.
    expect(r.headers['strict-transport-security']).toBe('max-age=31536000');
    expect(r.headers['content-type']).toBeUndefined();
    // No scheme and no port in the filter: the listener's port (8080) is kept, the status defaults to 302.
    const alt = await request(bed.gw.port(8080), { path: '/p', headers: { host: 'x.test:8080' } });
    expect(alt.status).toBe(302);
    expect(alt.headers.location).toBe('http://other.example:8080/p');
  });

  it('rewrites the hostname and the matched prefix, or the full path', async () => {
    const port = bed.gw.port(80);
    const prefix = body(
      await request(port, { path: '/cardamom/seeds?q=1', headers: { host: 'rewrite.example.com' } }),
    );
    expect(prefix.url).toBe('/xyz/seeds?q=1');
    expect(prefix.headers.host).toBe('elsewhere.example');
    const full = body(
      await request(port, { path: '/full/any/thing', headers: { host: 'rewrite.example.com' } }),
    );
    expect(full.url).toBe('/one');
    expect(full.headers.host).toBe('rewrite.example.com');
  });

  it('mirrors requests without changing the response', async () => {
    const before = bed.apps.shadow.seen.length;
    const r = await request(bed.gw.port(80), {
      path: '/mirrored?id=7',
      headers: { host: 'mirror.example.com' },
    });
    expect(r.status).toBe(200);
    expect(body(r).app).toBe('web');
    await expect.poll(() => bed.apps.shadow.seen.length, { timeout: 10_000 }).toBe(before + 1);
    expect(bed.apps.shadow.seen.at(-1)!.url).toBe('/mirrored?id=7');
    await expect
      .poll(async () =>
        metricValue(await bed.gw.metrics(), 'weft_gateway_mirror_requests_total', { result: 'sent' }),
      )
      .toBeGreaterThanOrEqual(1);
  });

  it('modifies request and response headers', async () => {
    const r = await request(bed.gw.port(80), {
      headers: { host: 'modify.example.com', 'my-header': 'foo', 'x-drop': '1' },
    });
    const seen = body(r).headers;
    expect(seen['my-header']).toBe('bar');
    expect(seen.added).toBe('yes');
    expect(seen['x-drop']).toBeUndefined();
    expect(r.headers['x-header-set']).toBe('set');
    expect(r.headers['x-app']).toBeUndefined();
  });

  it('modifies request and response headers for an HTTP/2 client too, and strips weft headers', async () => {
    const session = http2.connect(`http://127.0.0.1:${bed.gw.port(80)}`);
    try {
      const r = await new Promise<{ head: http2.IncomingHttpHeaders; body: string }>((resolve, reject) => {
        const s = session.request({
          ':path': '/h2',
          ':authority': 'modify.example.com',
          'my-header': 'foo',
          'x-drop': '1',
        });
        let head: http2.IncomingHttpHeaders = {};
        let text = '';
        s.on('response', (h) => {
          head = h;
        });
        s.on('data', (d: Buffer) => {
          text += d.toString();
        });
        s.on('end', () => resolve({ head, body: text }));
        s.on('error', reject);
        s.end();
      });
      expect(r.head[':status']).toBe(200);
      const seen = body(r).headers;
      expect(seen['my-header']).toBe('bar');
      expect(seen.added).toBe('yes');
      expect(seen['x-drop']).toBeUndefined();
      expect(r.head['x-header-set']).toBe('set');
      expect(r.head['x-app']).toBeUndefined();
      expect(r.head['x-weft-denied-by']).toBeUndefined();
      const redirect = await new Promise<http2.IncomingHttpHeaders>((resolve, reject) => {
        const s = session.request({ ':path': '/r', ':authority': 'redirect.example.com' });
        s.on('response', resolve);
        s.on('error', reject);
        s.resume();
        s.end();
      });
      expect(redirect[':status']).toBe(301);
      expect(redirect['strict-transport-security']).toBe('max-age=31536000');
    } finally {
      session.close();
    }
  });

  it('sets the forwarded headers, replacing what an untrusted client sent, and strips weft headers', async () => {
    const seen = body(
      await request(bed.gw.port(80), {
        headers: {
          host: 'match.example.com',
          'x-forwarded-for': '6.6.6.6',
          'x-forwarded-proto': 'https',
          forwarded: 'for=6.6.6.6',
          'x-weft-attempt': '5',
        },
      }),
    ).headers;
    expect(seen['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen['x-forwarded-proto']).toBe('http');
    expect(seen['x-forwarded-host']).toBe('match.example.com');
    expect(seen.forwarded).toBe('for=127.0.0.1;host=match.example.com;proto=http');
    expect(seen['x-weft-attempt']).toBeUndefined();
  });

  it('strips the mesh-internal x-weft-* headers from responses', async () => {
    const r = await request(bed.gw.port(80), { headers: { host: 'match.example.com' } });
    expect(r.headers['x-app']).toBe('prod');
    expect(r.headers['x-weft-denied-by']).toBeUndefined();
  });

  it('answers 404 for an unknown host or path and 500 for no usable backend', async () => {
    const port = bed.gw.port(80);
    expect((await request(port, { headers: { host: 'unknown.example.org' } })).status).toBe(404);
    expect((await request(port, { path: '/zero', headers: { host: 'broken.example.com' } })).status).toBe(
      500,
    );
    const missing = await request(port, { headers: { host: 'broken.example.com' } });
    expect(missing.status).toBe(500);
    expect(missing.body).toContain('Service test/missing not found');
    expect(missing.headers['x-route']).toBe('missing');
    const m = await bed.gw.metrics();
    expect(metricValue(m, 'weft_gateway_requests_total', { listener: 'test/gw/broken', code: '500' })).toBe(
      2,
    );
    expect(
      metricValue(m, 'weft_gateway_requests_total', { listener: '', code: '404' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      metricValue(m, 'weft_gateway_requests_total', {
        listener: 'test/gw/split',
        route: 'HTTPRoute/test/foo/0',
        code: '200',
      }),
    ).toBe(2000);
  });

  it('keeps the last good config when a new one is rejected, and applies the next good one', async () => {
    bed.gw.write(
      '{"listeners":[{"name":"x","port":80,"protocol":"GATEWAY_LISTENER_PROTOCOL_HTTP","routes":[{"name":"r","matches":[{"path":{"regex":"(a+)+$"}}]}]}]}',
    );
    await expect
      .poll(
        async () =>
          metricValue(await bed.gw.metrics(), 'weft_gateway_config_rejected_total', { source: 'file' }),
        {
          timeout: 10_000,
        },
      )
      .toBe(1);
    expect(body(await request(bed.gw.port(80), { headers: { host: 'match.example.com' } })).app).toBe('prod');
    const next = config(bed.apps);
    next.listeners[1]!.routes = [{ name: 'HTTPRoute/test/bar/0', backends: [backend(bed.apps.canary)] }];
    await bed.gw.apply(next);
    expect(body(await request(bed.gw.port(80), { headers: { host: 'match.example.com' } })).app).toBe(
      'canary',
    );
  });
});
