import { describe, expect, it } from 'vitest';
import {
  compileSafeRegex,
  MAX_REGEX_INPUT,
  MAX_REGEX_LENGTH,
  safeRegexTest,
  UnsafeRegexError,
} from './safe-regex.js';

function reason(pattern: string): string {
  try {
    compileSafeRegex(pattern);
  } catch (err) {
    expect(err).toBeInstanceOf(UnsafeRegexError);
    return (err as Error).message;
  }
  return 'accepted';
}

describe('compileSafeRegex', () => {
  it('accepts the patterns routes use and matches the whole value', () => {
    const re = compileSafeRegex('/api/v[0-9]+/users/[^/]+');
    expect(re.test('/api/v2/users/bob')).toBe(true);
    expect(re.test('/api/v2/users/bob/x')).toBe(false);
    expect(reason('/(foo|bar)/.*')).toBe('accepted');
    expect(reason('(?<id>[a-z]{2,8})?')).toBe('accepted');
    expect(reason('/a{3}/(b+)?')).toBe('accepted');
    expect(reason('/literal{brace')).toBe('accepted');
  });

  it('rejects the shapes of catastrophic backtracking', () => {
    expect(reason('(a+)+')).toMatch(/repeated group containing a quantifier/);
    expect(reason('(a|aa)*')).toMatch(/repeated group containing an alternation/);
    expect(reason('((ab)*c){2}')).toMatch(/repeated group containing a quantifier/);
    expect(reason('(x(a*))+')).toMatch(/repeated group containing a quantifier/);
  });

  it('rejects backreferences, lookaround and huge bounds', () => {
    expect(reason('(a)\\1')).toMatch(/backreference/);
    expect(reason('(?<n>a)\\k<n>')).toMatch(/backreference/);
    expect(reason('a(?=b)')).toMatch(/lookaround/);
    expect(reason('(?<!a)b')).toMatch(/lookaround/);
    expect(reason('a{1,5000}')).toMatch(/repetition bound/);
    expect(reason('a{5000}')).toMatch(/repetition bound/);
  });

  it('caps length and the number of unbounded quantifiers', () => {
    expect(reason('a'.repeat(MAX_REGEX_LENGTH + 1))).toMatch(/longer than 1024/);
    expect(reason('a*'.repeat(9))).toMatch(/more than 8 unbounded/);
    expect(reason('a*'.repeat(8))).toBe('accepted');
  });

  it('reports syntax errors and unbalanced groups precisely', () => {
    expect(reason('[abc')).toMatch(/unterminated character class/);
    expect(reason('(abc')).toMatch(/unbalanced "\("/);
    expect(reason('abc)')).toMatch(/unbalanced "\)"/);
    expect(reason('a**')).toMatch(/regular expression rejected: .*Nothing to repeat/i);
  });

  it('never runs a regex on an over-long input', () => {
    const re = compileSafeRegex('a*');
    expect(safeRegexTest(re, 'a'.repeat(MAX_REGEX_INPUT))).toBe(true);
    expect(safeRegexTest(re, 'a'.repeat(MAX_REGEX_INPUT + 1))).toBe(false);
  });
});
