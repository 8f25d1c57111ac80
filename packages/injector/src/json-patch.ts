/** RFC 6902 JSON Patch operations and RFC 6901 JSON Pointer escaping. */

/** One JSON Patch operation; the injector only ever adds. */
export interface PatchOperation {
  readonly op: 'add';
  readonly path: string;
  readonly value: unknown;
}

/** Escapes one reference token: `~` becomes `~0`, `/` becomes `~1` (RFC 6901 §3). */
export function escapePointerToken(token: string): string {
  return token.replaceAll('~', '~0').replaceAll('/', '~1');
}

/** Builds a JSON Pointer from unescaped tokens, e.g. `['metadata', 'annotations', 'weft.dev/x']`. */
export function pointer(...tokens: readonly (string | number)[]): string {
  return tokens.map((t) => `/${escapePointerToken(String(t))}`).join('');
}

/**
 * Operations that insert `values` into the array at `path`, valid whether or not the array
 * exists: one `add` of the whole array when it does not, one `add` per value at `at(i)` when it does.
 */
function insertOps(
  path: readonly string[],
  values: readonly unknown[],
  exists: boolean,
  at: (i: number) => string,
): PatchOperation[] {
  if (values.length === 0) return [];
  if (!exists) return [{ op: 'add', path: pointer(...path), value: [...values] }];
  return values.map((value, i) => ({ op: 'add', path: at(i), value }));
}

/** Operations that add `values` to the front of the array at `path`, valid whether or not it exists. */
export function prependOps(
  path: readonly string[],
  values: readonly unknown[],
  exists: boolean,
): PatchOperation[] {
  return insertOps(path, values, exists, (i) => pointer(...path, i));
}

/** Operations that append `values` to the array at `path`, valid whether or not it exists. */
export function appendOps(
  path: readonly string[],
  values: readonly unknown[],
  exists: boolean,
): PatchOperation[] {
  return insertOps(path, values, exists, () => `${pointer(...path)}/-`);
}

/** Operations that set keys of the string map at `path`, valid whether or not the map exists. */
export function setMapOps(
  path: readonly string[],
  entries: Readonly<Record<string, string>>,
  exists: boolean,
): PatchOperation[] {
  const keys = Object.keys(entries);
  if (keys.length === 0) return [];
  if (!exists) return [{ op: 'add', path: pointer(...path), value: { ...entries } }];
  return keys.map((key) => ({ op: 'add', path: pointer(...path, key), value: entries[key] }));
}
