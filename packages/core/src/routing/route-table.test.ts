import type { Route, RouteMatch } from '@weft/api';
import { describe, expect, it } from 'vitest';
import { isWeftError } from '../errors.js';
import { seededRandom } from '../random.js';
import { literalPrefix, type RouteRequest, routeRequest } from './request-match.js';
import { compileEntries, matchLinear, RouteTable } from './route-table.js';

function route(name: string, ...matches: Partial<RouteMatch>[]): Route {
  return {
    name,
    matches: matches.map((m) => ({ headers: [], queryParams: [], ...m })),
    backends: [{ service: name, namespace: 'ns', port: 80, weight: 1 }],
  };
}

function req(
  path: string,
  method = 'GET',
  headers: Record<string, string | string[] | undefined> = {},
): RouteRequest {
  return routeRequest(method, path, headers);
}

function pick(table: RouteTable, r: RouteRequest): string | undefined {
  const d = table.match(r);
  return d.type === 'route' ? d.route.name : undefined;
}

describe('RouteTable path semantics', () => {
  const table = new RouteTable([
    route('prefix-abc', { path: { type: 'prefix', value: '/abc' } }),
    route('prefix-slash', { path: { type: 'prefix', value: '/v2/' } }),
    route('exact', { path: { type: 'exact', value: '/exact' } }),
    route('regex', { path: { type: 'regex', value: '/items/[0-9]+' } }),
  ]);

  it('matches prefixes element-wise, not character-wise', () => {
    expect(pick(table, req('/abc'))).toBe('prefix-abc');
    expect(pick(table, req('/abc/'))).toBe('prefix-abc');
    expect(pick(table, req('/abc/def'))).toBe('prefix-abc');
    expect(pick(table, req('/abcd'))).toBeUndefined();
  });

  it('ignores a trailing slash on a prefix', () => {
    expect(pick(table, req('/v2'))).toBe('prefix-slash');
    expect(pick(table, req('/v2/x'))).toBe('prefix-slash');
    expect(pick(table, req('/v22'))).toBeUndefined();
  });

  it('matches exact paths exactly and ignores the query string', () => {
    expect(pick(table, req('/exact'))).toBe('exact');
    expect(pick(table, req('/exact?a=1'))).toBe('exact');
    expect(pick(table, req('/exact/'))).toBeUndefined();
    expect(pick(table, req('/Exact'))).toBeUndefined();
  });

  it('matches regular expressions against the whole path', () => {
    expect(pick(table, req('/items/42'))).toBe('regex');
    expect(pick(table, req('/items/42/x'))).toBeUndefined();
    expect(pick(table, req('/x/items/42'))).toBeUndefined();
  });

  it('treats a route without matches as PathPrefix "/"', () => {
    const t = new RouteTable([
      route('specific', { path: { type: 'exact', value: '/a' } }),
      route('catch-all'),
    ]);
    expect(pick(t, req('/a'))).toBe('specific');
    expect(pick(t, req('/anything'))).toBe('catch-all');
    expect(t.match(req('/zzz'))).toMatchObject({ type: 'route', matchIndex: -1 });
  });
});

describe('RouteTable method, header and query matches', () => {
  const table = new RouteTable([
    route('post', { path: { type: 'prefix', value: '/' }, method: 'POST' }),
    route('canary', {
      headers: [
        { name: 'X-Canary', type: 'exact', value: 'true' },
        { name: 'x-canary', type: 'exact', value: 'ignored: only the first equivalent name counts' },
      ],
    }),
    route('user', { queryParams: [{ name: 'user', type: 'regex', value: '[a-z]+' }] }),
    route('default'),
  ]);

  it('matches methods exactly', () => {
    expect(pick(table, req('/x', 'POST'))).toBe('post');
    expect(pick(table, req('/x', 'post'))).toBe('default');
  });

  it('compares header names case-insensitively and honours only the first equivalent name', () => {
    expect(pick(table, req('/x', 'GET', { 'x-canary': 'true' }))).toBe('canary');
    expect(pick(table, req('/x', 'GET', { 'x-canary': 'false' }))).toBe('default');
  });

  it('joins repeated header values before matching', () => {
    const t = new RouteTable([route('both', { headers: [{ name: 'x-a', type: 'exact', value: '1, 2' }] })]);
    expect(pick(t, req('/', 'GET', { 'x-a': ['1', '2'] }))).toBe('both');
  });

  it('matches the first value of a query parameter, percent-decoded', () => {
    expect(pick(table, req('/x?user=bob'))).toBe('user');
    expect(pick(table, req('/x?user=BOB'))).toBe('default');
    expect(pick(table, req('/x?user=bob&user=BOB'))).toBe('user');
    expect(pick(table, req('/x?us%65r=b%6Fb'))).toBe('user');
    expect(pick(table, req('/x?user=%E0%A4%A'))).toBe('default');
  });
});

describe('RouteTable precedence (Gateway API)', () => {
  it('ranks exact over regex over the longest prefix', () => {
    const t = new RouteTable([
      route('short', { path: { type: 'prefix', value: '/a' } }),
      route('long', { path: { type: 'prefix', value: '/a/b' } }),
      route('regex', { path: { type: 'regex', value: '/a/.*' } }),
      route('exact', { path: { type: 'exact', value: '/a/b/c' } }),
    ]);
    expect(pick(t, req('/a/b/c'))).toBe('exact');
    expect(pick(t, req('/a/b/d'))).toBe('regex');
    expect(pick(t, req('/a'))).toBe('short');
  });

  it('breaks path ties by method, then header count, then query count, then input order', () => {
    const t = new RouteTable([
      route('first', { path: { type: 'prefix', value: '/p' } }),
      route('second', { path: { type: 'prefix', value: '/p' } }),
      route('query', {
        path: { type: 'prefix', value: '/p' },
        queryParams: [{ name: 'q', type: 'exact', value: '1' }],
      }),
      route('header', {
        path: { type: 'prefix', value: '/p' },
        headers: [{ name: 'h', type: 'exact', value: '1' }],
      }),
      route('method', { path: { type: 'prefix', value: '/p' }, method: 'GET' }),
    ]);
    expect(pick(t, req('/p?q=1', 'GET', { h: '1' }))).toBe('method');
    expect(pick(t, req('/p?q=1', 'PUT', { h: '1' }))).toBe('header');
    expect(pick(t, req('/p?q=1', 'PUT'))).toBe('query');
    expect(pick(t, req('/p', 'PUT'))).toBe('first');
  });

  it('ranks each match of a route on its own', () => {
    const t = new RouteTable([
      route('broad', { path: { type: 'prefix', value: '/' } }, { path: { type: 'exact', value: '/login' } }),
      route('narrow', { path: { type: 'prefix', value: '/login' } }),
    ]);
    expect(t.match(req('/login'))).toMatchObject({ type: 'route', route: { name: 'broad' }, matchIndex: 1 });
    expect(pick(t, req('/login/x'))).toBe('narrow');
  });
});

describe('literalPrefix (the pre-check before a path regex runs)', () => {
  it('takes the plain leading run, minus a quantified last character, and gives up on alternation', () => {
    expect(literalPrefix('/api/v[0-9]+')).toBe('/api/v');
    expect(literalPrefix('/items/(\\d+)')).toBe('/items/');
    expect(literalPrefix('/ab*')).toBe('/a');
    expect(literalPrefix('/ab?')).toBe('/a');
    expect(literalPrefix('/x{2}')).toBe('/');
    expect(literalPrefix('/a|/b')).toBe('');
    expect(literalPrefix('\\/x')).toBe('');
    expect(literalPrefix('.*')).toBe('');
  });
});

describe('RouteTable configuration errors', () => {
  function errorOf(fn: () => unknown): string {
    try {
      fn();
    } catch (err) {
      expect(isWeftError(err, 'INVALID_CONFIG')).toBe(true);
      return (err as Error).message;
    }
    throw new Error('expected an error');
  }

  it('names the field of an unsafe path regex', () => {
    const msg = errorOf(
      () => new RouteTable([route('ok'), route('bad', {}, { path: { type: 'regex', value: '(a+)+$' } })]),
    );
    expect(msg).toMatch(
      /^routes\[1\]\.matches\[1\]\.path\.value: regular expression rejected: repeated group/,
    );
  });

  it('names the field of an invalid header regex and of a relative path', () => {
    expect(
      errorOf(() => new RouteTable([route('r', { headers: [{ name: 'a', type: 'regex', value: '[' }] })])),
    ).toMatch(/^routes\[0\]\.matches\[0\]\.headers\[0\]\.value: regular expression rejected/);
    expect(errorOf(() => new RouteTable([route('r', { path: { type: 'prefix', value: 'api' } })]))).toMatch(
      /^routes\[0\]\.matches\[0\]\.path\.value: must start with "\/"/,
    );
  });
});

describe('RouteTable agrees with a linear scan in precedence order', () => {
  it('on 3,000 random requests over 300 random routes', () => {
    const random = seededRandom(7);
    const segs = ['a', 'b', 'c', 'api', 'v1', ''];
    const seg = () => segs[Math.floor(random.next() * segs.length)] as string;
    const randomPath = (depth: number) => `/${Array.from({ length: depth }, seg).join('/')}`;
    const routes: Route[] = [];
    for (let i = 0; i < 300; i++) {
      const r = random.next();
      const m: { -readonly [K in keyof RouteMatch]?: RouteMatch[K] } = {};
      if (r < 0.3) m.path = { type: 'exact', value: randomPath(1 + Math.floor(random.next() * 3)) };
      else if (r < 0.4) m.path = { type: 'regex', value: `/${seg()}/[a-c]+.*` };
      else if (r < 0.95)
        m.path = {
          type: 'prefix',
          value: randomPath(Math.floor(random.next() * 3)) + (random.next() < 0.2 ? '/' : ''),
        };
      if (random.next() < 0.3) m.method = random.next() < 0.5 ? 'GET' : 'POST';
      if (random.next() < 0.3)
        m.headers = [{ name: 'x-v', type: 'exact', value: random.next() < 0.5 ? '1' : '2' }];
      if (random.next() < 0.2) m.queryParams = [{ name: 'q', type: 'exact', value: '1' }];
      routes.push(route(`r${i}`, m));
    }
    const table = new RouteTable(routes);
    const entries = compileEntries(routes);
    let routed = 0;
    for (let i = 0; i < 3000; i++) {
      const headers = random.next() < 0.5 ? { 'x-v': random.next() < 0.5 ? '1' : '2' } : {};
      const query = random.next() < 0.3 ? '?q=1' : '';
      const r = req(
        randomPath(Math.floor(random.next() * 4)) + query,
        random.next() < 0.5 ? 'GET' : 'POST',
        headers,
      );
      const fast = table.match(r);
      expect(fast).toEqual(matchLinear(entries, r));
      if (fast.type === 'route') routed++;
    }
    expect(routed).toBeGreaterThan(1000);
  });
});
