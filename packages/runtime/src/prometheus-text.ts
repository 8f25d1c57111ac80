/**
 * Reads the Prometheus text exposition format (0.0.4), for clients of a /metrics endpoint: samples
 * with their labels, and the sums and histogram quantiles `weft stat`, the dashboard and the tests
 * compute from them.
 */
import { WeftError } from '@weft/core';

/** One sample line. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

function parseValue(text: string, line: number): number {
  switch (text) {
    case '+Inf':
      return Number.POSITIVE_INFINITY;
    case '-Inf':
      return Number.NEGATIVE_INFINITY;
    case 'NaN':
      return Number.NaN;
  }
  const n = Number(text);
  if (text === '' || Number.isNaN(n)) {
    throw new WeftError('INVALID_ARGUMENT', `metrics line ${line}: "${text}" is not a sample value`);
  }
  return n;
}

/** Parses `{a="x",b="y"}` starting at `start` (the brace); returns the labels and the index after `}`. */
function parseLabels(
  text: string,
  start: number,
  line: number,
): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  let i = start + 1;
  const fail = (why: string) => new WeftError('INVALID_ARGUMENT', `metrics line ${line}: ${why}`);
  for (;;) {
    while (text[i] === ' ' || text[i] === ',') i++;
    if (text[i] === '}') return { labels, end: i + 1 };
    const eq = text.indexOf('=', i);
    if (eq < 0) throw fail('label without a value');
    const name = text.slice(i, eq).trim();
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name)) throw fail(`bad label name "${name}"`);
    if (text[eq + 1] !== '"') throw fail(`label ${name}: value must be quoted`);
    let value: string;
    let j = text.indexOf('"', eq + 2);
    const slash = text.indexOf('\\', eq + 2);
    if (j >= 0 && (slash < 0 || slash > j)) {
      // The common case: no escape before the closing quote.
      value = text.slice(eq + 2, j);
    } else {
      value = '';
      for (j = eq + 2; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === '\\') {
          j++;
          value += text[j] === 'n' ? '\n' : (text[j] ?? '');
        } else value += text[j];
      }
    }
    if (j < 0 || j >= text.length) throw fail(`label ${name}: unterminated value`);
    labels[name] = value;
    i = j + 1;
  }
}

/** Parses an exposition. Throws WeftError INVALID_ARGUMENT naming the line of a malformed sample. */
export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  let n = 0;
  for (let start = 0; start < text.length; ) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    n++;
    // Lines are read in place (no split, no trim copies): a scrape of a big proxy is ~10^4 lines.
    let a = start;
    let b = end;
    start = end + 1;
    while (a < b && (text.charCodeAt(a) === 32 || text.charCodeAt(a) === 9)) a++;
    while (
      b > a &&
      (text.charCodeAt(b - 1) === 32 || text.charCodeAt(b - 1) === 9 || text.charCodeAt(b - 1) === 13)
    )
      b--;
    if (a === b || text.charCodeAt(a) === 35 /* # */) continue;
    const raw = text.slice(a, b);
    const brace = raw.indexOf('{');
    const space = raw.indexOf(' ');
    let name: string;
    let labels: Record<string, string> = {};
    let rest: number;
    if (brace >= 0 && (space < 0 || brace < space)) {
      name = raw.slice(0, brace);
      const parsed = parseLabels(raw, brace, n);
      labels = parsed.labels;
      rest = parsed.end;
    } else {
      if (space < 0) throw new WeftError('INVALID_ARGUMENT', `metrics line ${n}: no value`);
      name = raw.slice(0, space);
      rest = space + 1;
    }
    while (raw.charCodeAt(rest) === 32 || raw.charCodeAt(rest) === 9) rest++;
    let stop = rest;
    while (stop < raw.length && raw.charCodeAt(stop) !== 32 && raw.charCodeAt(stop) !== 9) stop++;
    const value = parseValue(raw.slice(rest, stop), n);
    samples.push({ name, labels, value });
  }
  return samples;
}

/** True when every label of `match` has that value in `labels`. */
export function labelsMatch(
  labels: Readonly<Record<string, string>>,
  match: Readonly<Record<string, string>>,
): boolean {
  for (const key in match) if (labels[key] !== match[key]) return false;
  return true;
}

/** The sum of the samples named `name` whose labels include `match`. */
export function sumSamples(
  samples: readonly Sample[],
  name: string,
  match: Readonly<Record<string, string>> = {},
): number {
  let total = 0;
  for (const s of samples) if (s.name === name && labelsMatch(s.labels, match)) total += s.value;
  return total;
}

/** Cumulative bucket counts by upper bound (summed over matching series), sorted by bound. */
export function histogramBuckets(
  samples: readonly Sample[],
  name: string,
  match: Readonly<Record<string, string>> = {},
): Array<{ le: number; count: number }> {
  const byLe = new Map<number, number>();
  for (const s of samples) {
    if (s.name !== `${name}_bucket` || !labelsMatch(s.labels, match)) continue;
    const le = s.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(s.labels.le);
    byLe.set(le, (byLe.get(le) ?? 0) + s.value);
  }
  return [...byLe.entries()].sort(([a], [b]) => a - b).map(([le, count]) => ({ le, count }));
}

/**
 * The q-quantile (0..1) from cumulative buckets, interpolating linearly inside the bucket as
 * Prometheus' histogram_quantile does. Undefined without observations; the highest finite
 * bound when the quantile falls in the +Inf bucket.
 */
export function histogramQuantile(
  q: number,
  buckets: ReadonlyArray<{ le: number; count: number }>,
): number | undefined {
  const total = buckets.at(-1)?.count ?? 0;
  if (total === 0) return undefined;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const b of buckets) {
    if (b.count >= rank) {
      if (b.le === Number.POSITIVE_INFINITY) return prevLe;
      const inBucket = b.count - prevCount;
      return inBucket === 0 ? b.le : prevLe + ((b.le - prevLe) * (rank - prevCount)) / inBucket;
    }
    prevLe = b.le;
    prevCount = b.count;
  }
  return prevLe;
}
