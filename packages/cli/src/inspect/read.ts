/** Reading JSON from another process without trusting its shape: every accessor tolerates anything. */

/** The object at `value`, or an empty one. */
export function obj(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/** The array at `value`, or an empty one. */
export function arr(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** A printable cell: strings and numbers as they are, booleans as yes/no, anything else "-". */
export function cell(value: unknown): string {
  if (typeof value === 'string') return value === '' ? '-' : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return '-';
}

/** A heading line above a table. */
export function section(title: string, body: string): string {
  return `${title}\n${body}`;
}

/** A protobuf enum name without its prefix, in kebab case: MTLS_MODE_PERMISSIVE -> permissive. */
export function enumWord(value: unknown, prefix: string): string {
  const text = cell(value);
  return text.startsWith(prefix) ? text.slice(prefix.length).toLowerCase().replace(/_/g, '-') : text;
}
