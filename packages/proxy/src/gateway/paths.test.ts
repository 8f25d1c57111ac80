import { compileMatch } from '@weft/core';
import { describe, expect, it } from 'vitest';
import type { CompiledFilter } from './compiled.js';
import { redirectLocation, rewritePath } from './paths.js';

const prefix = (value: string) =>
  compileMatch({ path: { type: 'prefix', value }, headers: [], queryParams: [] }, 'm');

describe('rewritePath (HTTPURLRewriteFilter)', () => {
  it('ReplaceFullPath replaces the whole path and keeps the query', () => {
    expect(rewritePath('/foo/bar?x=1', { type: 'full', value: '/one' }, prefix('/foo'))).toBe('/one?x=1');
  });

  it.each([
    ['/foo', '/bar', '/foo/x', '/bar/x'],
    ['/foo', '/bar', '/foo', '/bar'],
    ['/foo/', '/bar', '/foo/x/y', '/bar/x/y'],
    ['/foo', '/', '/foo/x', '/x'],
    ['/foo', '/', '/foo', '/'],
    ['/foo', '/bar/', '/foo/x', '/bar/x'],
    ['/', '/bar', '/x', '/bar/x'],
    ['/cardamom', '/xyz', '/cardamom/a?q=1', '/xyz/a?q=1'],
  ])('ReplacePrefixMatch: prefix %s -> %s maps %s to %s', (p, value, path, want) => {
    expect(rewritePath(path, { type: 'prefix', value }, prefix(p))).toBe(want);
  });
});

describe('redirectLocation (HTTPRequestRedirectFilter)', () => {
  const redirect = (f: Partial<Extract<CompiledFilter, { type: 'redirect' }>>) =>
    ({
      type: 'redirect',
      scheme: '',
      hostname: '',
      path: undefined,
      port: 0,
      statusCode: 302,
      ...f,
    }) as const;
  const req = { scheme: 'http' as const, host: 'example.com', port: 80, target: '/a?b=1' };

  it('https with no port: the default port of https, left out', () => {
    expect(redirectLocation(redirect({ scheme: 'https' }), req, undefined)).toBe('https://example.com/a?b=1');
  });

  it('no scheme and no port: the listener port is kept unless it is the default', () => {
    expect(redirectLocation(redirect({ hostname: 'other.example' }), req, undefined)).toBe(
      'http://other.example/a?b=1',
    );
    expect(redirectLocation(redirect({}), { ...req, port: 8080 }, undefined)).toBe(
      'http://example.com:8080/a?b=1',
    );
  });

  it('a scheme change drops a non-default listener port for the scheme default', () => {
    expect(redirectLocation(redirect({ scheme: 'https' }), { ...req, port: 8080 }, undefined)).toBe(
      'https://example.com/a?b=1',
    );
  });

  it('an explicit port is kept unless it is the default of the scheme', () => {
    expect(redirectLocation(redirect({ scheme: 'https', port: 8443 }), req, undefined)).toBe(
      'https://example.com:8443/a?b=1',
    );
    expect(redirectLocation(redirect({ scheme: 'http', port: 80 }), req, undefined)).toBe(
      'http://example.com/a?b=1',
    );
  });

  it('rewrites the path by prefix', () => {
    expect(
      redirectLocation(
        redirect({ path: { type: 'prefix', value: '/new' } }),
        { ...req, target: '/old/x' },
        prefix('/old'),
      ),
    ).toBe('http://example.com/new/x');
  });
});
