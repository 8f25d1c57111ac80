/** Compiles route regular expressions only when they are short and cannot backtrack exponentially. */
import { WeftError } from '../errors.js';

/** Longest accepted pattern, in characters (the Gateway API caps path values at 1024). */
export const MAX_REGEX_LENGTH = 1024;
/** Most unbounded quantifiers (`*`, `+`, `{n,}`) in one pattern. */
export const MAX_UNBOUNDED_QUANTIFIERS = 8;
/** Largest bound in a counted repetition (`{n,m}`). */
export const MAX_REPEAT_BOUND = 1000;
/**
 * Longest input a route regex is run against. Longer values never match a regex rule,
 * which bounds the polynomial backtracking that patterns like `.*a.*b` still allow.
 */
export const MAX_REGEX_INPUT = 4096;

/** Thrown for a pattern that is too long, too complex or not a valid regular expression. */
export class UnsafeRegexError extends WeftError {
  readonly pattern: string;

  constructor(pattern: string, reason: string) {
    super('INVALID_CONFIG', `regular expression rejected: ${reason}`);
    this.name = 'UnsafeRegexError';
    this.pattern = pattern;
  }
}

/** What the enclosing group has seen so far. */
interface GroupFrame {
  quantified: boolean;
  alternation: boolean;
}

/** The last atom before a quantifier: a group (with what it contains) or a single item. */
type Atom =
  | { type: 'none' }
  | { type: 'single' }
  | { type: 'group'; quantified: boolean; alternation: boolean };

const QUANTIFIER = /^\{(\d+)(,(\d*))?\}/;

/**
 * Checks `pattern` against the complexity rules: no backreferences, no lookaround, no
 * quantified group that itself contains a quantifier or an alternation (the shapes of
 * catastrophic backtracking, e.g. `(a+)+` or `(a|aa)*`), at most
 * {@link MAX_UNBOUNDED_QUANTIFIERS} unbounded quantifiers and bounds up to {@link MAX_REPEAT_BOUND}.
 * Throws {@link UnsafeRegexError} naming the first rule broken.
 */
export function checkRegexComplexity(pattern: string): void {
  if (pattern.length > MAX_REGEX_LENGTH) {
    throw new UnsafeRegexError(pattern, `longer than ${MAX_REGEX_LENGTH} characters (${pattern.length})`);
  }
  const stack: GroupFrame[] = [{ quantified: false, alternation: false }];
  let atom: Atom = { type: 'none' };
  let unbounded = 0;
  let i = 0;
  while (i < pattern.length) {
    const ch = pattern[i] as string;
    const top = stack[stack.length - 1] as GroupFrame;
    if (ch === '\\') {
      const next = pattern[i + 1];
      if (next === undefined) throw new UnsafeRegexError(pattern, 'ends with a lone backslash');
      if (/[1-9]/.test(next) || (next === 'k' && pattern[i + 2] === '<')) {
        throw new UnsafeRegexError(pattern, `backreference at offset ${i}`);
      }
      atom = { type: 'single' };
      i += 2;
      continue;
    }
    if (ch === '[') {
      i = skipClass(pattern, i);
      atom = { type: 'single' };
      continue;
    }
    if (ch === '(') {
      if (/^\(\?(=|!|<=|<!)/.test(pattern.slice(i, i + 4))) {
        throw new UnsafeRegexError(pattern, `lookaround at offset ${i}`);
      }
      stack.push({ quantified: false, alternation: false });
      atom = { type: 'none' };
      i += 1;
      continue;
    }
    if (ch === ')') {
      if (stack.length === 1) throw new UnsafeRegexError(pattern, `unbalanced ")" at offset ${i}`);
      const frame = stack.pop() as GroupFrame;
      const parent = stack[stack.length - 1] as GroupFrame;
      parent.quantified ||= frame.quantified;
      atom = { type: 'group', quantified: frame.quantified, alternation: frame.alternation };
      i += 1;
      continue;
    }
    if (ch === '|') {
      top.alternation = true;
      atom = { type: 'none' };
      i += 1;
      continue;
    }
    const quantifier = readQuantifier(pattern, i);
    if (quantifier !== undefined) {
      if (quantifier.max !== Number.POSITIVE_INFINITY && quantifier.max > MAX_REPEAT_BOUND) {
        throw new UnsafeRegexError(pattern, `repetition bound above ${MAX_REPEAT_BOUND} at offset ${i}`);
      }
      if (quantifier.max === Number.POSITIVE_INFINITY && ++unbounded > MAX_UNBOUNDED_QUANTIFIERS) {
        throw new UnsafeRegexError(pattern, `more than ${MAX_UNBOUNDED_QUANTIFIERS} unbounded quantifiers`);
      }
      if (atom.type === 'group' && quantifier.max > 1 && (atom.quantified || atom.alternation)) {
        const inner = atom.quantified ? 'a quantifier' : 'an alternation';
        throw new UnsafeRegexError(pattern, `repeated group containing ${inner} at offset ${i}`);
      }
      top.quantified = true;
      atom = { type: 'none' };
      i += quantifier.length;
      if (pattern[i] === '?') i += 1; // lazy form
      continue;
    }
    atom = { type: 'single' };
    i += 1;
  }
  if (stack.length !== 1) throw new UnsafeRegexError(pattern, 'unbalanced "("');
}

function skipClass(pattern: string, start: number): number {
  let i = start + 1;
  while (i < pattern.length) {
    const ch = pattern[i];
    if (ch === '\\') i += 2;
    else if (ch === ']') return i + 1;
    else i += 1;
  }
  throw new UnsafeRegexError(pattern, `unterminated character class at offset ${start}`);
}

function readQuantifier(pattern: string, i: number): { max: number; length: number } | undefined {
  const ch = pattern[i];
  if (ch === '*' || ch === '+') return { max: Number.POSITIVE_INFINITY, length: 1 };
  if (ch === '?') return { max: 1, length: 1 };
  if (ch !== '{') return undefined;
  const m = QUANTIFIER.exec(pattern.slice(i, i + 24));
  if (m === null) return undefined; // a literal "{"
  const min = Number(m[1]);
  let max = min;
  if (m[2] !== undefined) max = m[3] === '' ? Number.POSITIVE_INFINITY : Number(m[3]);
  if (min > MAX_REPEAT_BOUND) return { max: min, length: m[0].length };
  return { max, length: m[0].length };
}

/**
 * Compiles `pattern` for a full match of the whole value (as the Gateway API's Envoy-based
 * implementations do). Throws {@link UnsafeRegexError} for an unsafe or invalid pattern.
 */
export function compileSafeRegex(pattern: string): RegExp {
  checkRegexComplexity(pattern);
  try {
    return new RegExp(`^(?:${pattern})$`);
  } catch (err) {
    throw new UnsafeRegexError(pattern, err instanceof Error ? err.message : String(err));
  }
}

/** Tests `value` against a regex from {@link compileSafeRegex}, refusing over-long inputs. */
export function safeRegexTest(regex: RegExp, value: string): boolean {
  return value.length <= MAX_REGEX_INPUT && regex.test(value);
}
