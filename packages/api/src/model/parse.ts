/** Parsing untrusted config with a zod schema into an error that names the field path. */
import type { z } from 'zod';

/** A config or resource failed validation. `issues` name each bad field by its path. */
export class ConfigError extends Error {
  readonly code = 'INVALID_CONFIG';
  readonly issues: readonly ConfigIssue[];

  constructor(source: string, issues: readonly ConfigIssue[]) {
    super(`${source}: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/** One problem at one field, e.g. `{path: "spec.backends[1].weight", message: "…"}`. */
export interface ConfigIssue {
  path: string;
  message: string;
}

/** Formats a zod path as `spec.backends[1].weight`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

/** Parses `input` or throws a ConfigError whose message starts with `source`. */
export function parseConfig<S extends z.ZodType>(schema: S, input: unknown, source: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ConfigError(
    source,
    result.error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message })),
  );
}
