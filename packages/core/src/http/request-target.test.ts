import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PATH_NORMALIZATION,
  forwardedTarget,
  type NormalizedTarget,
  normalizeRequestTarget,
  type PathNormalizationOptions,
  removeDotSegments,
} from './request-target.js';

function norm(target: string, method = 'GET', o: Partial<PathNormalizationOptions> = {}): NormalizedTarget {
  return normalizeRequestTarget(target, { ...DEFAULT_PATH_NORMALIZATION, ...o, method });
}

function pathOf(target: string, method = 'GET', o: Partial<PathNormalizationOptions> = {}): string {
  const r = norm(target, method, o);
  if (r.type !== 'ok') throw new Error(`${target} rejected: ${r.reason}`);
  return r.path + r.query;
}

describe('normalizeRequestTarget (defaults)', () => {
  it.each([
    ['/', '/'],
    ['/admin', '/admin'],
    ['/%61dmin', '/admin'],
    ['/%2561dmin', '/%2561dmin'],
    ['/%7euser', '/~user'],
    ['/a%2db', '/a-b'],
    ['/%3f', '/%3F'],
    ['/%3F', '/%3F'],
    ['/caf%c3%a9', '/caf%C3%A9'],
    ['/./admin', '/admin'],
    ['/x/../admin', '/admin'],
    ['/public/../secret', '/secret'],
    ['/%2e%2e/admin', '/admin'],
    ['/x/%2E%2E/admin', '/admin'],
    ['/.%2e/admin', '/admin'],
    ['/../../admin', '/admin'],
    ['/a/.', '/a/'],
    ['/a/b/..', '/a/'],
    ['/a/..', '/'],
    ['//admin', '/admin'],
    ['/x//../admin', '/x/admin'],
    ['/a///b', '/a/b'],
    ['/admin;x=1', '/admin;x=1'],
    ['/ADMIN', '/ADMIN'],
    ['/a?b=c', '/a?b=c'],
    ['/a?next=/../x', '/a?next=/../x'],
    ['/a/../b?%61', '/b?%61'],
    ["/a:b@c!$&'()*+,;=", "/a:b@c!$&'()*+,;="],
  ])('%s -> %s', (input, want) => {
    expect(pathOf(input)).toBe(want);
  });

  it.each([
    ['http://svc/admin', '/admin', 'svc'],
    ['HTTP://svc:80/x/../admin?q', '/admin?q', 'svc:80'],
    ['https://[::1]:8443', '/', '[::1]:8443'],
    ['http://svc?x', '/?x', 'svc'],
  ])('absolute-form %s -> %s', (input, want, authority) => {
    const r = norm(input);
    expect(r).toMatchObject({ type: 'ok', form: 'absolute', authority, changed: true });
    expect(pathOf(input)).toBe(want);
  });

  it.each([
    ['', 'empty'],
    ['admin', 'invalid-form'],
    ['admin/x', 'invalid-form'],
    ['*', 'invalid-form'],
    ['svc:80', 'invalid-form'],
    ['/admin#frag', 'fragment'],
    ['/admin?x#frag', 'fragment'],
    ['/%00', 'nul'],
    ['/admin%00.txt', 'nul'],
    ['/a\u0000', 'nul'],
    ['/a%0d%0aX', 'control-character'],
    ['/a%7f', 'control-character'],
    ['/a\tb', 'control-character'],
    ['/a b', 'invalid-character'],
    ['/caf\u00e9', 'invalid-character'],
    ['/a"b', 'invalid-character'],
    ['/<script>', 'invalid-character'],
    ['/%C0%AF', 'invalid-utf8'],
    ['/%c0%ae%c0%ae/admin', 'invalid-utf8'],
    ['/%e0%80%af', 'invalid-utf8'],
    ['/%ed%a0%80', 'invalid-utf8'],
    ['/%f4%90%80%80', 'invalid-utf8'],
    ['/%ff', 'invalid-utf8'],
    ['/%c3', 'invalid-utf8'],
    ['/%', 'invalid-percent-encoding'],
    ['/%4', 'invalid-percent-encoding'],
    ['/%zz', 'invalid-percent-encoding'],
    ['/a%2Fb', 'escaped-slash'],
    ['/a%2fb', 'escaped-slash'],
    ['/a%5Cb', 'escaped-slash'],
    ['/a\\b', 'backslash'],
    ['ftp://svc/admin', 'invalid-absolute-form'],
    ['http:///admin', 'invalid-absolute-form'],
    ['http://user@svc/admin', 'invalid-absolute-form'],
    ['javascript:alert(1)', 'invalid-form'],
  ])('rejects %j (%s)', (input, reason) => {
    expect(norm(input)).toMatchObject({ type: 'reject', reason });
  });

  it('asterisk-form only for OPTIONS, authority-form only for CONNECT', () => {
    expect(norm('*', 'OPTIONS')).toMatchObject({ type: 'ok', form: 'asterisk', path: '*' });
    expect(norm('svc.ns:443', 'CONNECT')).toMatchObject({
      type: 'ok',
      form: 'authority',
      authority: 'svc.ns:443',
    });
    expect(norm('/x', 'CONNECT')).toMatchObject({ type: 'reject', reason: 'invalid-form' });
    expect(norm('svc.ns', 'CONNECT')).toMatchObject({ type: 'reject', reason: 'invalid-form' });
  });

  it('reports whether anything changed', () => {
    expect(norm('/a/b?c')).toMatchObject({ changed: false });
    expect(norm('/a/./b')).toMatchObject({ changed: true });
  });
});

describe('normalizeRequestTarget (options)', () => {
  it('keeps or decodes escaped slashes as configured', () => {
    expect(pathOf('/a%2fb', 'GET', { escapedSlashes: 'keep' })).toBe('/a%2Fb');
    expect(pathOf('/x/..%2Fadmin', 'GET', { escapedSlashes: 'keep' })).toBe('/x/..%2Fadmin');
    expect(pathOf('/x/..%2Fadmin', 'GET', { escapedSlashes: 'unescape' })).toBe('/admin');
    expect(pathOf('/a%5cb', 'GET', { escapedSlashes: 'unescape' })).toBe('/a/b');
  });

  it('keeps double slashes when merging is off', () => {
    expect(pathOf('//admin', 'GET', { mergeSlashes: false })).toBe('//admin');
    expect(pathOf('/a//b/../c', 'GET', { mergeSlashes: false })).toBe('/a//c');
  });

  it('turns raw backslashes into slashes when configured', () => {
    expect(pathOf('/x\\..\\admin', 'GET', { backslash: 'to-slash' })).toBe('/admin');
  });
});

describe('removeDotSegments', () => {
  it.each([
    ['/a/b/c/./../../g', '/a/g'],
    ['/mid/content=5/../6', '/mid/6'],
    ['/..', '/'],
    ['/.', '/'],
    ['/a/./', '/a/'],
  ])('%s -> %s', (input, want) => {
    expect(removeDotSegments(input)).toBe(want);
  });
});

describe('forwardedTarget', () => {
  it('forwards the normalized origin-form or the original', () => {
    const r = norm('http://svc/x/../admin?q');
    if (r.type !== 'ok') throw new Error('rejected');
    expect(forwardedTarget('http://svc/x/../admin?q', r, 'normalized')).toBe('/admin?q');
    expect(forwardedTarget('http://svc/x/../admin?q', r, 'original')).toBe('http://svc/x/../admin?q');
  });
});

describe('plain paths (left as they are without being rebuilt)', () => {
  // A deterministic generator of paths made only of literal path characters, no "//" and no "/.".
  let seed = 0x2545f491;
  const next = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  const CHARS = "abcXYZ019-._~!$&'()*+,;=:@";
  const plainPath = () => {
    let p = '';
    for (let s = next(5); s >= 0; s--) {
      let segment = '';
      for (let n = next(6); n > 0; n--) segment += CHARS[next(CHARS.length)];
      // A segment may not start with '.' (that is how "/." is kept out).
      p += `/${segment.replace(/^\.+/, '')}`;
    }
    return p.replace(/\/{2,}/g, '/');
  };

  it('normalizes a plain path to itself, as the full rebuild of a variant of it does', () => {
    for (let i = 0; i < 2000; i++) {
      const p = plainPath();
      const q = next(2) === 0 ? '' : '?a=1&b=/./x';
      for (const o of [{}, { mergeSlashes: false }, { escapedSlashes: 'unescape' as const }]) {
        const r = norm(p + q, 'GET', o);
        expect(r).toMatchObject({ type: 'ok', path: p, query: q, changed: false });
        // The same path spelled so that every step of the rebuild has work to do.
        const spelled = `/.${p.replace(/a/g, '%61')}`.replace('/./', '/x/../');
        expect(pathOf(spelled + q, 'GET', o)).toBe(p + q);
      }
    }
  });

  it('still rebuilds what is not plain', () => {
    expect(pathOf('/a/./b')).toBe('/a/b');
    expect(pathOf('/a//b')).toBe('/a/b');
    expect(pathOf('/%7Euser')).toBe('/~user');
    expect(pathOf('/a\\b', 'GET', { backslash: 'to-slash' })).toBe('/a/b');
    expect(norm('/a\\b').type).toBe('reject');
    expect(norm('/a"b').type).toBe('reject');
  });
});
